import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, command, postCommand, type AgentUnderTest } from '../support/agent-process.js';
import { lastSeq, switches, waitForSwitch, writeZonesFile, type Switch } from '../support/restart.js';

// A zone, the pump and the boiler on; the agent killed with SIGKILL (as a crash or a watchdog
// restart would) and started again at once. On a Pi the relays drop when the process dies, so
// each output counts as switched off at that moment and must stay off its whole minimum.
//
// SIM_SPEED 1: the simulated clock is real time in every process, so event timestamps from the
// old and the new process are on one timeline. The minimums are short so the test is quick, and
// each differs so every output's own wait is seen (the pump waits for a valve, the boiler for the pump).

const MIN_OFF = { Z1: 8, pump: 11, boiler: 14 } as const;
/** The agent leaves a sign of life every second (on its one-second ticks at SIM_SPEED 1). */
const ALIVE_S = 1;

const dir = mkdtempSync(join(tmpdir(), 'boiler-restart-safety-'));
const zonesFile = writeZonesFile(
  dir,
  { Z1: { min_on_s: 0, min_off_s: MIN_OFF.Z1 } },
  { pump_overrun_s: 0, boiler_min_on_s: 0, boiler_min_off_s: MIN_OFF.boiler, pump_min_on_s: 0, pump_min_off_s: MIN_OFF.pump },
);
const env = { SIM_SPEED: '1', ZONES_FILE: zonesFile };

const agents: AgentUnderTest[] = [];
afterAll(async () => {
  for (const a of agents) await a.stop();
  agents[0]?.cleanup();
});

async function start(): Promise<AgentUnderTest> {
  const agent = await startAgent({ dir, env });
  agents.push(agent);
  return agent;
}

async function send(agent: AgentUnderTest, body: Parameters<typeof command>[0]): Promise<void> {
  const res = await postCommand(agent.url, command(body));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function kill(agent: AgentUnderTest): Promise<number> {
  const at = Date.now();
  agent.proc.proc.kill('SIGKILL');
  expect((await agent.proc.exited).signal).toBe('SIGKILL');
  return at;
}

/** The first ON of each output after `afterSeq`, waiting for all three. */
async function firstOns(dbPath: string, afterSeq: number): Promise<Record<'Z1' | 'pump' | 'boiler', Switch>> {
  const on = (output: string) => waitForSwitch(dbPath, (s) => s.event === 'ON' && s.output === output, 90_000, afterSeq);
  const [Z1, pump, boiler] = await Promise.all([on('Z1'), on('pump'), on('boiler')]);
  return { Z1, pump, boiler };
}

describe('SIGKILL and an immediate restart', () => {
  it('keeps a zone, the pump and the boiler off their full minimum, records their runs to the last sign of life, and does the same after a kill inside a minimum-off window', async () => {
    // ---- 1. Everything on, then killed. ----
    const first = await start();
    await send(first, { type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    const ons = await firstOns(first.dbPath, 0);
    // Let the boiler run a few seconds too: the run being killed.
    await new Promise((r) => setTimeout(r, 4000));
    const killedAt = await kill(first);
    const beforeRestart = lastSeq(first.dbPath);

    const second = await start();
    const released = switches(second.dbPath, beforeRestart).filter((s) => s.event === 'OFF');
    expect(released.map((s) => [s.output, s.source]).sort()).toEqual([
      ['Z1', 'system'],
      ['boiler', 'system'],
      ['pump', 'system'],
    ]);
    const restartTs = released[0]!.ts;
    const figures: string[] = [];
    for (const off of released) {
      const trueRunS = (killedAt - ons[off.output as keyof typeof ons].ts) / 1000;
      // Recorded to the last sign of life: short by at most one mark period, plus a second for
      // rounding to whole seconds and the tick the mark rides on.
      expect(trueRunS - (off.duration_s ?? -1), `${off.output}: ran ${trueRunS} s, recorded ${off.duration_s} s`).toBeLessThanOrEqual(ALIVE_S + 1);
      expect(trueRunS - (off.duration_s ?? -1)).toBeGreaterThanOrEqual(-1);
      figures.push(`${off.output} ran ${trueRunS.toFixed(1)} s, recorded ${off.duration_s} s`);
    }
    const again = await firstOns(second.dbPath, beforeRestart);
    for (const output of ['Z1', 'pump', 'boiler'] as const) {
      expect(again[output].ts - restartTs, `${output} back on ${again[output].ts - restartTs} ms after the restart`).toBeGreaterThanOrEqual(MIN_OFF[output] * 1000);
      figures.push(`${output} on again ${((again[output].ts - restartTs) / 1000).toFixed(1)} s after the restart (minimum ${MIN_OFF[output]} s)`);
    }
    console.info(`restart after SIGKILL: ${figures.join('; ')}`);
    // Nothing switched on in between: the first ON of each output is the one checked above.
    const between = switches(second.dbPath, beforeRestart).filter((s) => s.event === 'ON');
    expect(between.slice(0, 3).map((s) => s.seq).sort()).toEqual([again.Z1.seq, again.pump.seq, again.boiler.seq].sort());

    // ---- 2. Off by command, killed inside the minimum-off windows, restarted, asked for heat at once. ----
    await send(second, { type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    const off = await waitForSwitch(second.dbPath, (s) => s.event === 'OFF' && s.output === 'Z1', 20_000, again.boiler.seq);
    const plantOff = await Promise.all(
      (['pump', 'boiler'] as const).map((o) => waitForSwitch(second.dbPath, (s) => s.event === 'OFF' && s.output === o, 20_000, again.boiler.seq)),
    );
    await kill(second);
    const beforeSecondRestart = lastSeq(second.dbPath);
    const third = await start();
    await send(third, { type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    const restarted = switches(third.dbPath, beforeSecondRestart);
    // Nothing was on at the kill, so nothing is recorded as released.
    expect(restarted.filter((s) => s.source === 'system')).toEqual([]);
    // The test only means something if the restart fell inside the zone's window.
    const resumedLog = await third.proc.waitForLog((l) => l.msg === 'resumed saved state');
    const thirdStart = typeof resumedLog.time === 'number' ? resumedLog.time : Date.parse(String(resumedLog.time));
    expect(thirdStart - off.ts, 'restart came after the minimum off had passed; machine too slow for this test').toBeLessThan(MIN_OFF.Z1 * 1000);
    const resumed = await firstOns(third.dbPath, beforeSecondRestart);
    expect(resumed.Z1.ts - off.ts).toBeGreaterThanOrEqual(MIN_OFF.Z1 * 1000);
    expect(resumed.pump.ts - plantOff[0]!.ts).toBeGreaterThanOrEqual(MIN_OFF.pump * 1000);
    expect(resumed.boiler.ts - plantOff[1]!.ts).toBeGreaterThanOrEqual(MIN_OFF.boiler * 1000);
    const gap = (on: Switch, off: Switch) => ((on.ts - off.ts) / 1000).toFixed(1);
    console.info(
      `kill ${((thirdStart - off.ts) / 1000).toFixed(1)} s into the minimum off: Z1 off ${gap(resumed.Z1, off)} s (min ${MIN_OFF.Z1}), ` +
        `pump ${gap(resumed.pump, plantOff[0]!)} s (min ${MIN_OFF.pump}), boiler ${gap(resumed.boiler, plantOff[1]!)} s (min ${MIN_OFF.boiler})`,
    );
  });
});
