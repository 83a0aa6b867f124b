import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { createLogger } from '@boiler/service';
import type { CommandBody } from '@boiler/shared';
import { Agent } from '../src/agent.js';
import { AgentBus } from '../src/bus.js';
import { AgentStore, MIGRATIONS, openDatabase } from '../src/store/index.js';
import { ZonesFile } from '../src/zones.js';
import { SimulatedHouse } from '../src/hardware/simulator/index.js';
import { AliveMarkFile, type BootClock } from '../src/alive-mark.js';
import { ENGINE_STATE_VERSION, SavedEngineState, type EngineConfig } from '../src/control/index.js';

// The agent against a real SQLite file, taking up whatever a previous agent (or a damaged disk)
// left in the saved-state row; and restarting after a crash with the real alive-mark file.

const TZ = 'America/Denver';
const zonesFile = ZonesFile.parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'zones.json'), 'utf8')));
const config: EngineConfig = { ...zonesFile, time_zone: TZ };
const START = Date.UTC(2026, 0, 14, 17, 0);

function fixture(version: 0 | 1): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'control', 'fixtures', `state-v${version}.json`), 'utf8')) as Record<string, unknown>;
}

let dir: string;
const open: { store: AgentStore }[] = [];
afterEach(() => {
  for (const o of open.splice(0)) o.store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Writes the saved-state row as raw text, as a damaged disk or another agent version might leave it. */
function writeStateRow(text: string): void {
  // The tables, by the real migrations, up to the schema of the agents that saved schedules and
  // presets in this row: the agent's open then runs migration 5, which moves them to their tables.
  openDatabase(join(dir, 'agent.db'), { migrations: MIGRATIONS.slice(0, 4) }).close();
  const db = new Database(join(dir, 'agent.db'));
  // The table checks json_valid; a damaged page does not ask, so the check is lifted for this write.
  db.pragma('ignore_check_constraints = ON');
  db.prepare(`INSERT INTO runtime (scope, zone, state, updated_at) VALUES ('system', '', ?, ?)`).run(text, START);
  db.close();
}

function readStateRow(): unknown {
  const db = new Database(join(dir, 'agent.db'), { readonly: true });
  const row = db.prepare(`SELECT state FROM runtime WHERE scope = 'system'`).get() as { state: string };
  db.close();
  return JSON.parse(row.state);
}

function fakeBoot(id: string, mono: number): BootClock & { mono: number } {
  return { mono, bootId: () => id, monotonic() { return this.mono; } };
}

interface Started {
  agent: Agent;
  house: SimulatedHouse;
  store: AgentStore;
  boot: BootClock & { mono: number };
}

function startAgent(options: { wall?: number; boot?: BootClock & { mono: number } } = {}): Started {
  const house = new SimulatedHouse(zonesFile, { timeZone: TZ, startWall: options.wall ?? START, seed: 3 });
  const store = AgentStore.open(join(dir, 'agent.db'));
  open.push({ store });
  const boot = options.boot ?? fakeBoot('boot-1', 1_000_000);
  const agent = new Agent(
    config,
    store,
    { kind: 'sim', relays: house.relays, inputs: house.inputs, sensors: house.sensors, clock: house.clock },
    new AgentBus(),
    createLogger({ name: 'test', level: 'silent' }),
    { aliveMarks: new AliveMarkFile(join(dir, 'agent.db.alive')), bootClock: boot },
  );
  agent.start();
  return { agent, house, store, boot };
}

/** Simulated seconds, ticking each one, with the machine's monotonic clock keeping pace. */
async function run(s: Started, seconds: number): Promise<void> {
  for (let i = 0; i < seconds; i++) {
    s.house.advance(1000);
    s.boot.mono += 1000;
    await s.agent.tick();
  }
}

function send(s: Started, body: CommandBody): void {
  const now = s.house.clock.now();
  const answer = s.agent.execute({ id: randomUUID(), created_at: now, expires_at: now + 3_600_000, body }, 'test');
  expect(answer.kind).toBe('done');
}

describe('an unreadable or older saved state starts the agent (no restart loop)', () => {
  it('upgrades a version-0 state, schedules, presets and modes intact, with no alert', () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-restart-'));
    const v0 = fixture(0);
    writeStateRow(JSON.stringify(v0));
    const s = startAgent();
    const schedules = new Map(s.agent.schedules().map((e) => [e.zone, e.schedule]));
    const zones = v0.zones as { name: string; schedule: unknown }[];
    expect(schedules.get('default')).toEqual(v0.default_schedule);
    expect(schedules.get('Z1')).toEqual(zones[0]?.schedule);
    expect(schedules.get('Z14')).toEqual(zones[2]?.schedule);
    expect(s.agent.presets()).toEqual(v0.presets);
    expect(s.agent.zones().find((z) => z.zone === 'Z2')?.mode).toBe('OFF');
    expect(s.agent.system().alerts).toEqual([]);
    // Saved back in today's layout.
    expect(SavedEngineState.parse(readStateRow()).version).toBe(ENGINE_STATE_VERSION);
  });

  const resets: [string, () => string, 'salvaged' | 'config'][] = [
    ['a garbage row (JSON of the wrong shape)', () => JSON.stringify({ ...fixture(1), zones: 'garbage', boiler: 7 }), 'salvaged'],
    ['a state of a future version', () => JSON.stringify({ ...fixture(1), version: 99 }), 'salvaged'],
    ['a row that is not JSON at all', () => '{"version": 1, "zones": [{"na\u0000', 'config'],
    ['a row of the wrong type of JSON', () => '"hello"', 'config'],
  ];
  for (const [what, row, schedules] of resets) {
    it(`starts fresh from ${what}, keeping what schedules and presets it can read, with a state_reset alert`, async () => {
      dir = mkdtempSync(join(tmpdir(), 'boiler-restart-'));
      writeStateRow(row());
      const s = startAgent();
      const v1 = fixture(1);
      const defaults = s.agent.schedules().find((e) => e.zone === 'default')?.schedule;
      if (schedules === 'salvaged') {
        expect(defaults).toEqual(v1.default_schedule);
        expect(s.agent.presets()).toEqual(v1.presets);
        expect(s.agent.presets().length).toBeGreaterThan(0);
      } else {
        expect(defaults).toEqual(zonesFile.default_schedule);
        expect(s.agent.presets()).toEqual([]);
      }
      expect(s.agent.zones().every((z) => z.mode === 'AUTO')).toBe(true);
      expect(s.agent.system().alerts.map((a) => [a.id, a.kind])).toEqual([['state_reset', 'state_reset']]);
      const alerts = s.store.queryEvents({ event: ['ALERT'], limit: 10 });
      expect(alerts.map((e) => e.detail?.startsWith('state_reset: saved state unreadable'))).toEqual([true]);
      // The fresh state is saved over the bad one, and the agent keeps controlling.
      expect(SavedEngineState.safeParse(readStateRow()).success).toBe(true);
      await run(s, 5);
      expect(s.agent.ticks).toBe(5);
    });
  }
});

describe('a crash and restart, through the alive-mark file', () => {
  it("records the run to the last sign of life, holds the minimum off from the restart, and ignores the wall clock's step", async () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-restart-'));
    const first = startAgent();
    for (const z of zonesFile.zones) if (z.name !== 'Z1') send(first, { type: 'zone_mode', zone: z.name, mode: 'OFF' });
    send(first, { type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    await run(first, 400); // past Z1's 180 s minimum off from the first start
    const on = first.store.queryEvents({ event: ['ON'], zone: 'Z1', limit: 5 });
    expect(on).toHaveLength(1);
    const ranS = Math.round((first.house.clock.now() - (on[0]?.ts ?? 0)) / 1000);
    expect(ranS).toBeGreaterThan(100);

    // Killed: no stop(). Back 3 s later on the machine's clock, with the wall clock 2 h ahead.
    const boot = fakeBoot('boot-1', first.boot.mono + 3000);
    const second = startAgent({ wall: first.house.clock.now() + 7_200_000, boot });
    const off = second.store.queryEvents({ event: ['OFF'], zone: 'Z1', limit: 5 });
    expect(off.map((e) => e.source)).toEqual(['system']);
    // Alive marks every second: the recorded run is the true one to within that.
    expect(ranS - (off[0]?.duration_s ?? 0)).toBeLessThanOrEqual(1);
    expect(ranS - (off[0]?.duration_s ?? 0)).toBeGreaterThanOrEqual(0);
    await run(second, 179);
    expect(second.house.relays.get('zone1')).toBe(false);
    await run(second, 2);
    expect(second.house.relays.get('zone1')).toBe(true);
  });
});

describe('schedules and presets, in their tables', () => {
  const week = (setpoint: number) => ({ sun: [{ at: '07:00', setpoint_c: setpoint }], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] });
  const noWeek = { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };

  it('are written by their commands with the COMMAND event, left out of the saved state, and taken from the tables at a restart', () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-restart-'));
    const first = startAgent();
    expect(first.agent.schedules().some((e) => e.zone === 'Z14')).toBe(true); // the config's own week
    send(first, { type: 'schedule_set', zone: 'default', schedule: week(19) });
    send(first, { type: 'schedule_set', zone: 'Z1', schedule: week(21) });
    // An empty week sends a zone back to the default, even one the config gave a week of its own.
    send(first, { type: 'schedule_set', zone: 'Z14', schedule: noWeek });
    send(first, { type: 'preset_save', name: 'Cosy', schedule: week(22) });
    send(first, { type: 'preset_save', name: 'Away', schedule: week(15) });
    send(first, { type: 'preset_apply', name: 'Away', zones: ['Z2', 'Z3'] });
    send(first, { type: 'preset_delete', name: 'Cosy' });

    const { settings, unreadable } = first.store.loadSettings();
    expect(unreadable).toEqual([]);
    expect(settings.default_schedule).toEqual(week(19));
    expect([settings.zone_schedules.get('Z1'), settings.zone_schedules.get('Z2'), settings.zone_schedules.get('Z3'), settings.zone_schedules.get('Z14')]).toEqual([week(21), week(15), week(15), null]);
    expect(settings.presets.map((p) => p.name)).toEqual(['Away']);
    const saved = readStateRow() as Record<string, unknown>;
    expect(['default_schedule', 'presets'].filter((key) => key in saved)).toEqual([]);
    expect((saved.zones as Record<string, unknown>[]).some((z) => 'schedule' in z)).toBe(false);
    const commands = first.store.queryEvents({ event: ['COMMAND'], limit: 20 });
    expect(commands).toHaveLength(7);

    const seen = { schedules: first.agent.schedules(), presets: first.agent.presets(), settings: first.agent.settings() };
    expect(seen.schedules.map((e) => e.zone)).toEqual(['default', 'Z1', 'Z2', 'Z3']);
    first.agent.stop();
    const second = startAgent({ wall: first.house.clock.now() + 60_000, boot: fakeBoot('boot-1', first.boot.mono + 60_000) });
    expect({ schedules: second.agent.schedules(), presets: second.agent.presets(), settings: second.agent.settings() }).toEqual(seen);
  });

});
