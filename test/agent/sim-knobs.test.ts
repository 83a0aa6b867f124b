import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess } from '../support/processes.js';
import { AGENT_ENTRY, TEST_API_KEY, getJson, startAgent, type AgentUnderTest } from '../support/agent-process.js';

// The simulator's knobs, from the environment and a simulator file, seen from outside the agent
// through the /api/sim/* routes: the house's true temperatures, its faults, and its wall clock.

interface HouseView {
  wallMs: number;
  monotonicMs: number;
  outdoorC: number;
  zones: Record<string, { kind: string; roomC?: number }>;
}

const agents: AgentUnderTest[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) {
    await a.stop();
    a.cleanup();
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function simFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'sim-file-'));
  dirs.push(dir);
  const path = join(dir, 'sim.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function post(url: string, path: string, body: unknown): Promise<number> {
  const res = await fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  return res.status;
}

/** Midnight on Monday 12 January 2026 in Denver (MST, UTC-7). */
const START = Date.UTC(2026, 0, 12, 7, 0);
const HOUR = 3_600_000;

/**
 * How far the simulated wall clock stands from START plus the simulated time run. The wall reading is
 * floored to whole ms and the monotonic one is not, so wall - mono sits up to 1 ms below the whole
 * start; ceil undoes the floor exactly (round would answer -1 whenever the fraction passed a half).
 */
const wallOffset = (h: HouseView) => Math.ceil(h.wallMs - h.monotonicMs) - START;

describe('simulator knobs', () => {
  it('take the weather, start, rooms and a clock step from the environment over the simulator file', async () => {
    const file = simFile({ outdoor: { mean_c: 0, swing_c: 5 }, room_c: { Z1: 21, Z2: 22 }, heat_loss_scale: 2.7, clock_step: { after_s: 300, by_s: 7200 } });
    const a = await startAgent({ env: { SIM_SPEED: '60', SIM_FILE: file, SIM_OUTDOOR_C: '-30', SIM_START: '2026-01-12T00:00', SIM_ROOM_C: '16,Z5=8' } });
    agents.push(a);
    const first = (await getJson<HouseView>(a.url, '/api/sim/house')).body;
    expect(first.outdoorC).toBe(-30);
    // Started at site midnight, a few simulated minutes ago at most.
    expect(wallOffset(first)).toBe(0);
    expect(first.zones.Z5?.roomC).toBeCloseTo(8, 0);
    expect(first.zones.Z1?.roomC).toBeCloseTo(16, 0); // SIM_ROOM_C replaces the file's room_c whole
    expect(first.zones.Z14?.kind).toBe('onoff');

    // Five simulated minutes in, the file's step moves the wall clock 2 h ahead, and the monotonic clock not at all.
    await expect.poll(async () => {
      const h = (await getJson<HouseView>(a.url, '/api/sim/house')).body;
      return wallOffset(h);
    }, { timeout: 20_000 }).toBe(2 * HOUR);
    expect(a.proc.lines.some((l) => l.msg === 'house simulator running' && l.heat_loss_scale === 2.7)).toBe(true);

    // A step asked for through the API, back 3 h; a malformed one is refused with a reason.
    expect(await post(a.url, '/api/sim/clock', { step_s: -3 * 3600 })).toBe(200);
    const stepped = (await getJson<HouseView>(a.url, '/api/sim/house')).body;
    expect(wallOffset(stepped)).toBe(-HOUR);
    expect(await post(a.url, '/api/sim/clock', { step_s: 'soon' })).toBe(400);
    expect(await post(a.url, '/api/sim/clock', { step_s: 1e12 })).toBe(400);

    // Faults go in and read back; the true room temperature stays readable while the sensor is gone.
    expect(await post(a.url, '/api/sim/faults', { kind: 'sensor_missing', sensor: '28-000000000005' })).toBe(200);
    expect((await getJson<{ faults: unknown[] }>(a.url, '/api/sim/faults')).body.faults).toEqual([{ kind: 'sensor_missing', sensor: '28-000000000005' }]);
    await expect.poll(async () => (await getJson<{ room_c: number | null }>(a.url, '/api/zones/Z5')).body.room_c, { timeout: 10_000 }).toBeNull();
    expect(typeof (await getJson<HouseView>(a.url, '/api/sim/house')).body.zones.Z5?.roomC).toBe('number');
    expect(a.proc.stderr()).toBe('');
  });

  it('stops at start with one line per bad knob, naming each', async () => {
    const p = startProcess(AGENT_ENTRY, {
      SIM_OUTDOOR_C: 'bitter',
      SIM_START: '2026-02-31T00:00',
      SIM_CLOCK_STEP: 'soon',
      SIM_ROOM_C: 'Z1=warm',
      SIM_HEAT_LOSS_SCALE: '0',
      SIM_CLOCK_OFFSET: '+2 hours',
    });
    expect((await p.exited).code).toBe(2);
    const lines = p.stderr().trim().split('\n');
    for (const name of ['SIM_OUTDOOR_C', 'SIM_START', 'SIM_CLOCK_STEP', 'SIM_ROOM_C', 'SIM_HEAT_LOSS_SCALE', 'SIM_CLOCK_OFFSET']) {
      expect(lines.filter((l) => l.startsWith(`config: ${name}:`)), name).toHaveLength(1);
    }
    expect(lines).toHaveLength(6);
  });

  it('names a bad simulator file and a room of a zone that does not exist', async () => {
    const bad = startProcess(AGENT_ENTRY, { SIM_FILE: simFile({ outdoor: { fixed_c: -100 }, clock_step: { after_s: -1, by_s: 60 }, sun: true }) });
    expect((await bad.exited).code).toBe(2);
    const lines = bad.stderr().trim().split('\n');
    expect(lines.length).toBe(3);
    expect(lines.every((l) => l.startsWith('config: SIM_FILE: '))).toBe(true);
    expect(lines.some((l) => l.includes('outdoor.fixed_c'))).toBe(true);

    const unknown = startProcess(AGENT_ENTRY, { SIM_ROOM_C: 'Z99=5', SIM_FILE: simFile('{ not json') });
    expect((await unknown.exited).code).toBe(2);
    expect(unknown.stderr()).toMatch(/^config: SIM_FILE: cannot read .*sim\.json: /);

    const zone = startProcess(AGENT_ENTRY, { SIM_ROOM_C: 'Z99=5' });
    expect((await zone.exited).code).toBe(2);
    expect(zone.stderr().trim()).toBe('config: SIM_ROOM_C: room_c names Z99, which is not a heat zone in ZONES_FILE');
  });
});
