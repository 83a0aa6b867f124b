import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, command, getJson, postCommand, type AgentUnderTest } from '../support/agent-process.js';
import { lastSeq, waitForSwitch, writeZonesFile, type Switch } from '../support/restart.js';

// The wall clock stepped ±2 h while the agent was down: an NTP correction after a Pi boots
// without an RTC, or a bad one. libfaketime (Debian's `faketime`, see scripts/install-test-deps.sh)
// shifts the restarted process's wall clock alone; FAKETIME_DONT_FAKE_MONOTONIC keeps
// CLOCK_MONOTONIC true, as the kernel does across a real step. A minimum off time and a running
// boost must come through neither shortened nor lost.

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const haveFaketime = existsSync(LIBFAKETIME);
if (!haveFaketime) console.warn(`clock-step test skipped: ${LIBFAKETIME} missing (run scripts/install-test-deps.sh as root)`);

const HOUR = 3_600_000;
const MIN_OFF_S = 10;
const BOOST_MIN = 60;

const dir = mkdtempSync(join(tmpdir(), 'boiler-clock-step-'));
const zonesFile = writeZonesFile(
  dir,
  { Z1: { min_on_s: 0, min_off_s: MIN_OFF_S }, Z2: { min_on_s: 0, min_off_s: 0 }, Z3: {} },
  { pump_overrun_s: 0, boiler_min_on_s: 0, boiler_min_off_s: 0, pump_min_on_s: 0, pump_min_off_s: 0 },
);

const agents: AgentUnderTest[] = [];
afterAll(async () => {
  for (const a of agents) await a.stop();
  agents[0]?.cleanup();
});

/** An agent whose wall clock runs `stepMs` from the real one (0: no libfaketime at all). */
async function start(stepMs: number): Promise<AgentUnderTest> {
  const fake: Record<string, string> =
    stepMs === 0 ? {} : { LD_PRELOAD: LIBFAKETIME, FAKETIME: `${stepMs > 0 ? '+' : '-'}${Math.abs(stepMs) / HOUR}h`, FAKETIME_DONT_FAKE_MONOTONIC: '1' };
  const agent = await startAgent({ dir, env: { SIM_SPEED: '1', ZONES_FILE: zonesFile, ...fake } });
  agents.push(agent);
  return agent;
}

async function send(agent: AgentUnderTest, body: Parameters<typeof command>[0]): Promise<void> {
  // A month's life: the stepped agents read their own clock against it.
  const res = await postCommand(agent.url, command(body, { expires_at: Date.now() + 30 * 24 * HOUR }));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

async function kill(agent: AgentUnderTest): Promise<void> {
  agent.proc.proc.kill('SIGKILL');
  expect((await agent.proc.exited).signal).toBe('SIGKILL');
}

interface Shown {
  zone: string;
  boost_until: number | null;
  override: { until: number | null } | null;
  updated_at: number;
}

/** The boost's (Z2) and the timed override's (Z3) remaining ms as the agent reports them, on its own (stepped) clock. */
async function timersLeftMs(agent: AgentUnderTest): Promise<{ boost: number | null; override: number | null }> {
  const res = await getJson<{ zones: Shown[] }>(agent.url, '/api/zones');
  const z2 = res.body.zones.find((z) => z.zone === 'Z2');
  const z3 = res.body.zones.find((z) => z.zone === 'Z3');
  return {
    boost: z2 === undefined || z2.boost_until === null ? null : z2.boost_until - z2.updated_at,
    override: z3?.override?.until === undefined || z3.override.until === null ? null : z3.override.until - z3.updated_at,
  };
}

/** The wall instant (real clock) an agent logged a line at; pino stamps with the process's own clock. */
function realTime(line: Record<string, unknown>, stepMs: number): number {
  const t = typeof line.time === 'number' ? line.time : Date.parse(String(line.time));
  return t - stepMs;
}

describe('a wall-clock step while the agent is down', () => {
  it.skipIf(!haveFaketime)('shortens no minimum off time and ends no boost or timed override, stepped +2 h and then -2 h', async () => {
    const first = await start(0);
    await send(first, { type: 'boost', zone: 'Z2', minutes: BOOST_MIN });
    const boostedAt = Date.now();
    await send(first, { type: 'setpoint', zone: 'Z3', setpoint_c: 22, override: 'until', until: boostedAt + HOUR });
    await send(first, { type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    let on: Switch = await waitForSwitch(first.dbPath, (s) => s.event === 'ON' && s.output === 'Z1', 60_000);
    let stepMs = 0;
    let agent = first;

    for (const nextStep of [2 * HOUR, -2 * HOUR]) {
      // Off by command, then killed inside the minimum off time.
      await send(agent, { type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
      const off = await waitForSwitch(agent.dbPath, (s) => s.event === 'OFF' && s.output === 'Z1', 20_000, on.seq);
      const offReal = off.ts - stepMs;
      await kill(agent);
      const before = lastSeq(agent.dbPath);

      agent = await start(nextStep);
      stepMs = nextStep;
      const resumed = await agent.proc.waitForLog((l) => l.msg === 'resumed saved state');
      expect(realTime(resumed, stepMs) - offReal, 'restart came after the minimum off had passed; machine too slow for this test').toBeLessThan(MIN_OFF_S * 1000);
      // The clock really is stepped in the new process.
      const zones = await getJson<{ zones: { updated_at: number }[] }>(agent.url, '/api/zones');
      expect(Math.abs(zones.body.zones[0]!.updated_at - Date.now() - stepMs)).toBeLessThan(60_000);

      // The boost runs on with what it had left: an hour less the real time since it began.
      const timers = await timersLeftMs(agent);
      const left = timers.boost;
      const expected = BOOST_MIN * 60_000 - (Date.now() - boostedAt);
      expect(left, `boost lost after a ${stepMs / HOUR} h step`).not.toBeNull();
      expect(Math.abs((left ?? 0) - expected), `boost left ${left} ms, expected about ${expected} ms`).toBeLessThan(5_000);
      // So does the override set until an hour after the boost began: the owner's hour, not the clock's.
      expect(timers.override, `override lost after a ${stepMs / HOUR} h step`).not.toBeNull();
      expect(Math.abs((timers.override ?? 0) - expected), `override left ${timers.override} ms, expected about ${expected} ms`).toBeLessThan(5_000);

      // Heat asked for at once: the zone waits out the rest of its minimum off time, on the real timeline.
      await send(agent, { type: 'zone_mode', zone: 'Z1', mode: 'ON' });
      on = await waitForSwitch(agent.dbPath, (s) => s.event === 'ON' && s.output === 'Z1', 60_000, before);
      expect(on.ts - stepMs - offReal, `on again ${on.ts - stepMs - offReal} ms after going off`).toBeGreaterThanOrEqual(MIN_OFF_S * 1000);
      console.info(
        `wall clock stepped ${stepMs / HOUR} h: Z1 off ${((on.ts - stepMs - offReal) / 1000).toFixed(1)} s (min ${MIN_OFF_S}); ` +
          `boost left ${((left ?? 0) / 60_000).toFixed(2)} min, expected ${(expected / 60_000).toFixed(2)}`,
      );
    }
  });
});
