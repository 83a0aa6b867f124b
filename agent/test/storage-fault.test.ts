import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { createLogger } from '@boiler/service';
import type { CommandBody, EventEntry } from '@boiler/shared';
import { Agent, type AgentOptions } from '../src/agent.js';
import { AgentBus } from '../src/bus.js';
import { AgentStore, openDatabase } from '../src/store/index.js';
import { ZonesFile } from '../src/zones.js';
import { SimulatedHouse } from '../src/hardware/simulator/index.js';
import type { RelayBoard } from '../src/hardware/types.js';
import type { EngineConfig } from '../src/control/index.js';

// The agent on the simulator with a real SQLite file whose connection is made to refuse writes
// (query_only: SQLite answers SQLITE_READONLY, as after a read-only remount of the SD card). The
// tmpfs that really fills up is test/agent/storage-full.test.ts; this one drives the clock by hand.

const TZ = 'America/Denver';
const zonesFile = ZonesFile.parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'zones.json'), 'utf8')));
const config: EngineConfig = { ...zonesFile, time_zone: TZ };
const HEAT_ZONES = zonesFile.zones.filter((z) => z.kind === 'heat');
const STEP_MS = 30_000;

interface Rig {
  agent: Agent;
  store: AgentStore;
  db: Database.Database;
  house: SimulatedHouse;
  lines: Record<string, unknown>[];
  emitted: EventEntry[];
  step(ms?: number): Promise<void>;
  send(body: CommandBody): ReturnType<Agent['execute']>;
}

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

/** A cold house (every room near the freeze limit, -25 °C outside) with every heat zone OFF, so only freeze protection heats. */
function rig(options: Partial<AgentOptions> = {}, relays?: (inner: RelayBoard) => RelayBoard): Rig {
  const dir = mkdtempSync(join(tmpdir(), 'agent-storage-'));
  const db = openDatabase(join(dir, 'agent.db'));
  const store = new AgentStore(db);
  const house = new SimulatedHouse(zonesFile, { timeZone: TZ, startWall: Date.UTC(2026, 0, 12, 7, 0), seed: 3, initial: { roomC: 8 }, outdoor: { fixedC: -25 } });
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ name: 'test', level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  const bus = new AgentBus(log);
  const emitted: EventEntry[] = [];
  bus.on('events', emitted, (events) => emitted.push(...events));
  const board = relays === undefined ? house.relays : relays(house.relays);
  const agent = new Agent(config, store, { kind: 'sim', relays: board, inputs: house.inputs, sensors: house.sensors, clock: house.clock }, bus, log, options);
  agent.start();
  cleanups.push(() => {
    agent.stop();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const send = (body: CommandBody) => {
    const now = house.clock.now();
    return agent.execute({ id: randomUUID(), created_at: now, expires_at: now + 3600_000, body }, 'test');
  };
  return {
    agent,
    store,
    db,
    house,
    lines,
    emitted,
    send,
    async step(ms = STEP_MS) {
      house.advance(ms);
      await agent.tick();
    },
  };
}

function allOff(r: Rig): void {
  for (const z of HEAT_ZONES) expect(r.send({ type: 'zone_mode', zone: z.name, mode: 'OFF' }).kind).toBe('done');
}

function expectContiguous(seqs: readonly number[]): void {
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] as number) + 1);
}

const freezeOn = (e: EventEntry): boolean => e.event === 'ON' && (e.detail ?? '').startsWith('freeze protection');

describe('the control loop does not need the disk', () => {
  it('keeps freeze protection heating from memory while the database refuses writes, then stores what waited in order', async () => {
    const r = rig();
    allOff(r);
    await r.step();
    const before = r.store.lastSeq();

    r.db.pragma('query_only = ON'); // every write now fails with SQLITE_READONLY
    let ticks = 0;
    while (!r.agent.zones().some((z) => z.output) && ticks < 3000) {
      await r.step();
      ticks++;
    }
    // Freeze protection switched zones on although nothing could be written.
    const heating = r.agent.zones().filter((z) => z.output).map((z) => z.zone);
    expect(heating.length).toBeGreaterThan(0);
    for (const zone of heating) {
      const output = zonesFile.zones.find((z) => z.name === zone)!.output;
      expect(r.house.relays.get(output)).toBe(true);
    }
    expect(r.store.lastSeq()).toBe(before);
    // A good while longer, to see the retries back off and the log stay quiet.
    for (let i = 0; i < 200; i++) await r.step();

    const health = r.agent.health();
    expect(health.status).toBe('degraded');
    expect(health.reasons.join(' ')).toMatch(/storage_fault: SQLITE_READONLY/);
    expect(health.storage.ok).toBe(false);
    expect(health.storage.pending).toBeGreaterThan(0);
    const alert = r.agent.system().alerts.find((a) => a.kind === 'storage_fault');
    expect(alert?.message).toMatch(/SQLITE_READONLY/);
    const failures = r.lines.filter((l) => l.msg === 'storage write failed; control goes on from memory, writes wait and are retried');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.code).toBe('SQLITE_READONLY');
    expect(r.lines.filter((l) => l.level === 50 && l.msg === 'control tick failed; outputs to safe state')).toHaveLength(0);

    r.db.pragma('query_only = OFF');
    const emittedBefore = r.emitted.length;
    for (let i = 0; i < 200 && r.agent.health().storage.pending > 0; i++) await r.step();
    expect(r.agent.health().storage).toEqual({ ok: true, pending: 0, dropped: { samples: 0, events: 0, invalid: 0 } });
    expect(r.agent.system().alerts.some((a) => a.kind === 'storage_fault')).toBe(false);
    expect(r.lines.filter((l) => l.msg === 'storage writes succeed again; waiting writes follow in order')).toHaveLength(1);

    const stored = r.store.eventsAfter(before, 10_000);
    expectContiguous(stored.map((e) => e.seq));
    expect(stored[0]?.seq).toBe(before + 1);
    // The first thing that waited was the alert saying writes failed; the freeze switches followed.
    expect(stored[0]?.event).toBe('ALERT');
    expect(stored[0]?.detail).toMatch(/^storage_fault: /);
    expect(stored.filter(freezeOn).length).toBeGreaterThanOrEqual(heating.length);
    // Stored in the order they happened: timestamps never go back.
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.ts).toBeGreaterThanOrEqual(stored[i - 1]!.ts);
    // And the link heard of them in seq order, once each.
    const heard = r.emitted.slice(emittedBefore).map((e) => e.seq);
    expect(heard.slice(0, stored.length)).toEqual(stored.map((e) => e.seq));
    expect(r.store.integrityCheck()).toEqual([]);
  });

  it('retries with a backoff, not on every tick', async () => {
    const r = rig();
    r.db.pragma('query_only = ON');
    // Count the store's write attempts through its one transaction entry point.
    let attempts = 0;
    const inner = r.store.transaction.bind(r.store);
    r.store.transaction = <T,>(fn: () => T): T => {
      attempts++;
      return inner(fn);
    };
    const ticks = 400; // 400 × 30 s = 200 simulated minutes
    for (let i = 0; i < ticks; i++) await r.step();
    // Backoff 1 s doubling to 60 s: after the first few, one attempt a simulated minute at most.
    expect(attempts).toBeGreaterThan(100);
    expect(attempts).toBeLessThan(ticks / 2 + 10);
    expect(r.agent.health().storage.ok).toBe(false);
  });

  it('drops samples before ON/OFF/ALERT events past the bound, and counts them', async () => {
    const r = rig({ pendingLimit: 150 });
    allOff(r);
    await r.step();
    const before = r.store.lastSeq();
    r.db.pragma('query_only = ON');
    // A cold outage of 100 minutes: 1,400 samples (14 a minute) and freeze switching.
    for (let i = 0; i < 200; i++) await r.step();
    const health = r.agent.health();
    expect(health.storage.pending).toBe(150);
    expect(health.storage.dropped.samples).toBeGreaterThan(0);
    expect(health.storage.dropped.events).toBe(0);
    expect(health.reasons.join(' ')).toMatch(/\d+ dropped/);

    r.db.pragma('query_only = OFF');
    for (let i = 0; i < 50 && r.agent.health().storage.pending > 0; i++) await r.step();
    const stored = r.store.eventsAfter(before, 10_000);
    expectContiguous(stored.map((e) => e.seq));
    // Every switch and alert of the outage survived; what was dropped were samples.
    const kept = stored.filter((e) => e.event !== 'SAMPLE');
    expect(kept.some((e) => e.event === 'ALERT')).toBe(true);
    expect(kept.filter(freezeOn).length).toBeGreaterThan(0);
  });

  it('refuses a command it cannot store (503), and stores a later one after everything that waited', async () => {
    const r = rig();
    await r.step();
    const before = r.store.lastSeq();
    r.db.pragma('query_only = ON');
    for (let i = 0; i < 5; i++) await r.step();
    const refused = r.send({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    expect(refused).toMatchObject({ kind: 'refused', code: 'unavailable' });
    expect(r.agent.zones().find((z) => z.zone === 'Z1')?.mode).not.toBe('ON');

    r.db.pragma('query_only = OFF');
    const waiting = r.agent.health().storage.pending;
    expect(waiting).toBeGreaterThan(0);
    const answer = r.send({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    expect(answer.kind).toBe('done');
    if (answer.kind !== 'done') return;
    const stored = r.store.eventsAfter(before, 10_000);
    expectContiguous(stored.map((e) => e.seq));
    expect(stored).toHaveLength(waiting + 1);
    expect(stored.at(-1)?.seq).toBe(answer.result.seq);
    expect(stored.at(-1)?.event).toBe('COMMAND');
    expect(r.agent.health().storage.ok).toBe(true);
  });

  it('changes neither the schedules and presets tables nor the schedules in memory with a command it cannot store', async () => {
    const r = rig();
    const week = { sun: [{ at: '07:00', setpoint_c: 21 }], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };
    expect(r.send({ type: 'preset_save', name: 'Cosy', schedule: week }).kind).toBe('done');
    const schedules = r.agent.schedules();
    const settings = r.store.loadSettings();
    r.db.pragma('query_only = ON');
    await r.step();
    const bodies: CommandBody[] = [
      { type: 'schedule_set', zone: 'Z1', schedule: week },
      { type: 'preset_apply', name: 'Cosy', zones: ['Z2'] },
      { type: 'preset_delete', name: 'Cosy' },
      { type: 'preset_save', name: 'Warm', schedule: week },
    ];
    for (const body of bodies) {
      expect(r.send(body)).toMatchObject({ kind: 'refused', code: 'unavailable' });
    }
    expect(r.agent.schedules()).toEqual(schedules);
    expect(r.agent.presets().map((p) => p.name)).toEqual(['Cosy']);
    r.db.pragma('query_only = OFF');
    expect(r.store.loadSettings()).toEqual(settings);
  });
});

describe('retention in the running agent', () => {
  it('prunes raw samples past SAMPLE_RETENTION_DAYS as it ticks, keeping the rollups', async () => {
    const r = rig({ sampleRetentionMs: 2 * 3600_000 });
    const start = r.house.clock.now();
    for (let i = 0; i < 6 * 120; i++) await r.step(); // six simulated hours
    const now = r.house.clock.now();
    const count = (sql: string, ...p: number[]) => r.db.prepare(sql).pluck().get(...p) as number;
    // Pruning runs from each hour on the hour, so at most the last hour's cutoff lags.
    expect(count('SELECT count(*) FROM samples WHERE ts < ?', now - 3 * 3600_000)).toBe(0);
    expect(count('SELECT count(*) FROM samples WHERE ts >= ?', now - 2 * 3600_000)).toBeGreaterThan(0);
    // The pruned hours still answer from the rollups.
    const early = r.agent.history('Z1', start, start + 2 * 3600_000, 8);
    expect(early.length).toBeGreaterThanOrEqual(7);
    expect(count('SELECT count(*) FROM samples_15m WHERE bucket < ?', start + 2 * 3600_000)).toBeGreaterThan(0);
  });

  it('prunes events of every kind and the 15-minute tier past the detail window, keeping the hourly tier', async () => {
    const r = rig({ sampleRetentionMs: 2 * 3600_000, eventRetentionMs: 3 * 3600_000 });
    const start = r.house.clock.now();
    for (let i = 0; i < 6 * 120; i++) await r.step(); // six simulated hours
    const now = r.house.clock.now();
    const count = (sql: string, ...p: number[]) => r.db.prepare(sql).pluck().get(...p) as number;
    // Under the outbox window (10,000 events) the event log keeps even old events; the 15-minute
    // tier has no such floor and goes past the window, hour by hour.
    expect(count('SELECT count(*) FROM samples_15m WHERE bucket < ?', now - 4 * 3600_000)).toBe(0);
    expect(count('SELECT count(*) FROM samples_15m WHERE bucket >= ?', now - 3 * 3600_000)).toBeGreaterThan(0);
    expect(count('SELECT count(*) FROM samples_1h WHERE bucket < ?', start + 3600_000)).toBeGreaterThan(0);
    // The first hour answers from the hourly tier, asked at any grain.
    const early = r.agent.history('Z1', start, start + 2 * 3600_000, 8);
    expect(early.length).toBeGreaterThanOrEqual(1);
    expect(early.length).toBeLessThanOrEqual(3);
  });
});

describe('a command log that cannot be read', () => {
  it('refuses the command with 503 rather than throwing, so the relay retries it', async () => {
    const r = rig();
    await r.step();
    const now = r.house.clock.now();
    const cmd = { id: randomUUID(), created_at: now, expires_at: now + 3600_000, body: { type: 'zone_mode', zone: 'Z2', mode: 'ON' } } as const;
    expect(r.agent.execute(cmd, 'test').kind).toBe('done');
    // The stored result no longer parses (a damaged row): whether the id ran is unknown.
    r.db.prepare(`UPDATE commands SET result = '{}' WHERE id = ?`).run(cmd.id);
    expect(r.agent.execute(cmd, 'test')).toMatchObject({ kind: 'refused', code: 'unavailable' });
    expect(r.lines.some((l) => l.msg === 'looking up a command failed')).toBe(true);
  });
});

describe('an output that cannot be written', () => {
  /** A relay board (a fake of the Pi's) on which energising one output fails, as a dead GPIO line would. */
  function failing(broken: Set<string>): (inner: RelayBoard) => RelayBoard {
    return (inner) => ({
      outputs: () => inner.outputs(),
      get: (o) => inner.get(o),
      set(o, on) {
        if (on && broken.has(o)) throw new Error(`EIO writing ${o}`);
        inner.set(o, on);
      },
      safeState: () => inner.safeState(),
      close: () => inner.close(),
    });
  }

  it('is released and alerted alone; every other output goes on heating', async () => {
    const broken = new Set(['zone1']);
    const r = rig({}, failing(broken));
    allOff(r);
    let ticks = 0;
    while (r.agent.zones().filter((z) => z.output).length < 3 && ticks < 3000) {
      await r.step();
      ticks++;
    }
    const heating = r.agent.zones().filter((z) => z.output && z.zone !== 'Z1');
    expect(heating.length).toBeGreaterThan(1);
    for (const z of heating) expect(r.house.relays.get(zonesFile.zones.find((c) => c.name === z.zone)!.output)).toBe(true);
    for (let i = 0; i < 50; i++) await r.step();
    expect(r.house.relays.get('zone1')).toBe(false);
    expect(r.agent.system().alerts.find((a) => a.id === 'output_fault:zone1')).toMatchObject({ kind: 'output_fault', zone: 'Z1' });
    expect(r.agent.health().reasons.join(' ')).toMatch(/output_fault: zone1/);
    expect(r.lines.filter((l) => l.msg === 'output write failed; that output is released, the others go on')).toHaveLength(1);
    expect(r.lines.filter((l) => l.msg === 'control tick failed; outputs to safe state')).toHaveLength(0);

    broken.clear();
    for (let i = 0; i < 5; i++) await r.step();
    expect(r.agent.system().alerts.some((a) => a.id === 'output_fault:zone1')).toBe(false);
    expect(r.agent.health().reasons.join(' ')).not.toMatch(/output_fault/);
    expect(r.store.queryEvents({ event: 'ALERT' }).some((e) => (e.detail ?? '').startsWith('output_fault:zone1'))).toBe(true);
  });
});
