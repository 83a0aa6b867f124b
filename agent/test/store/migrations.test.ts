import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  AgentStore,
  BUSY_TIMEOUT_MS,
  MIGRATIONS,
  MigrationError,
  SCHEMA_VERSION,
  SchemaTooNewError,
  StoreError,
  migrate,
  openDatabase,
  schemaVersion,
  type Migration,
} from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';
import { countingMigrations, expectEntryPerMigration, expectSchemaAt as expectSchema, halfDoneMigration, migratedTo as migrated, schemaTables as tables, type SchemaAdds } from '../../../service/test/support/schema.js';

const files = useTempFiles();

/** What each migration adds; a migration without an entry here fails the completeness test. */
const ADDS: SchemaAdds = {
  1: { tables: ['meta', 'events'], indexes: ['events_ts', 'events_zone_seq', 'events_event_seq', 'events_zone_event_seq'] },
  2: { tables: ['samples', 'samples_15m', 'samples_1h', 'samples_1d'], indexes: [] },
  3: { tables: ['runtime', 'schedules', 'presets'], indexes: [] },
  4: { tables: ['commands', 'audit'], indexes: ['commands_finished_at', 'audit_ts', 'audit_command_id'] },
  5: { tables: [], indexes: [] },
  6: { tables: [], indexes: [] },
};

/** A saved engine state as agents before migration 5 wrote it (state version 1). */
function savedStateV1(): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, '..', 'control', 'fixtures', 'state-v1.json'), 'utf8')) as Record<string, unknown>;
}

/** A file at schema 4 holding `state` (raw text) as its saved engine state. */
function schema4With(state: string): Database.Database {
  const db = migratedTo(4);
  // A damaged page does not ask json_valid; the check is lifted to write one.
  db.pragma('ignore_check_constraints = ON');
  db.prepare(`INSERT INTO runtime (scope, zone, state, updated_at) VALUES ('system', '', ?, 77)`).run(state);
  db.pragma('ignore_check_constraints = OFF');
  return db;
}

/** A fresh file migrated to `version` (the first `version` migrations). */
const migratedTo = (version: number): Database.Database => migrated(files.raw(), migrate, MIGRATIONS, version);

/** Exactly the tables and indexes of migrations 1..version exist, all STRICT. */
const expectSchemaAt = (db: Database.Database, version: number): void => expectSchema(db, ADDS, schemaVersion, version);

describe('migrations', () => {
  it('has a test entry for every migration', () => {
    expectEntryPerMigration(ADDS, MIGRATIONS, SCHEMA_VERSION);
  });

  it('1 (event log): meta with a zero high-water mark, events, and its indexes', () => {
    const db = migratedTo(1);
    expectSchemaAt(db, 1);
    expect(db.prepare(`SELECT value FROM meta WHERE key = 'last_event_seq'`).get()).toEqual({ value: 0 });
    // STRICT: a text timestamp is refused rather than stored.
    expect(() => db.prepare(`INSERT INTO events (seq, ts, source, event) VALUES (1, 'noon', 'system', 'ON')`).run()).toThrow(/cannot store TEXT/);
  });

  it('2 (samples and rollups): samples keyed by zone and ts, output only 0 or 1, three rollup tiers', () => {
    const db = migratedTo(2);
    expectSchemaAt(db, 2);
    const insert = db.prepare('INSERT INTO samples (zone, ts, output) VALUES (?, ?, ?)');
    insert.run('Z1', 1000, 1);
    expect(() => insert.run('Z1', 1000, 0)).toThrow(/UNIQUE|PRIMARY KEY/);
    expect(() => insert.run('Z1', 2000, 2)).toThrow(/CHECK/);
    for (const t of ['samples_15m', 'samples_1h', 'samples_1d']) {
      const cols = (db.pragma(`table_info(${t})`) as { name: string }[]).map((c) => c.name);
      expect(cols).toEqual(expect.arrayContaining(['zone', 'bucket', 'n', 'on_n', 'room_sum', 'room_min', 'room_max', 'outdoor_n']));
    }
  });

  it('3 (runtime, schedules, presets): JSON columns refuse text that is not JSON; system row has no zone', () => {
    const db = migratedTo(3);
    expectSchemaAt(db, 3);
    const insert = db.prepare('INSERT INTO runtime (scope, zone, state, updated_at) VALUES (?, ?, ?, 0)');
    insert.run('zone', 'Z1', '{}');
    insert.run('system', '', '{}');
    expect(() => insert.run('zone', 'Z2', 'not json')).toThrow(/CHECK/);
    expect(() => insert.run('system', 'Z3', '{}')).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO presets (name, schedule, saved_at) VALUES ('x', '{', 0)`).run()).toThrow(/CHECK/);
  });

  it('4 (commands and audit): outcome is checked, and an audit row may precede its command within a transaction', () => {
    const db = migratedTo(4);
    expectSchemaAt(db, 4);
    db.pragma('foreign_keys = ON');
    const id = '0b9c3e0e-7a51-4c1e-9a57-1a3f1f2f4b6d';
    db.transaction(() => {
      db.prepare(`INSERT INTO audit (ts, command_id, actor, action) VALUES (1, ?, 'relay', 'zone_mode')`).run(id);
      db.prepare(`INSERT INTO commands VALUES (?, 'h', '{}', 'succeeded', '{}', 1, 2)`).run(id);
    })();
    expect(() =>
      db.transaction(() => {
        db.prepare(`INSERT INTO audit (ts, command_id, actor, action) VALUES (1, 'never-recorded', 'relay', 'x')`).run();
      })(),
    ).toThrow(/FOREIGN KEY/);
    expect(() => db.prepare(`INSERT INTO commands VALUES ('b', 'h', '{}', 'maybe', '{}', 1, 2)`).run()).toThrow(/CHECK/);
  });

  it('5 (schedules and presets out of the saved state): each moves to its table, the saved state is left to the state upgrade', () => {
    const v1 = savedStateV1();
    const zones = v1.zones as { name: string; schedule: unknown }[];
    // A zone that follows the default keeps doing so: it gets a null row, not the config's schedule.
    const state = { ...v1, zones: zones.map((z, i) => (i === 1 ? { ...z, schedule: null } : z)) };
    const db = schema4With(JSON.stringify(state));
    migrate(db, MIGRATIONS.slice(0, 5));
    expectSchemaAt(db, 5);
    const schedules = new Map((db.prepare('SELECT target, schedule, updated_at FROM schedules').all() as { target: string; schedule: string; updated_at: number }[]).map((r) => [r.target, r]));
    expect([...schedules.keys()].sort()).toEqual(['(default)', ...zones.map((z) => z.name)].sort());
    expect(JSON.parse(schedules.get('(default)')!.schedule)).toEqual(v1.default_schedule);
    expect(JSON.parse(schedules.get(zones[0]!.name)!.schedule)).toEqual(zones[0]!.schedule);
    expect(JSON.parse(schedules.get(zones[1]!.name)!.schedule)).toBeNull();
    expect(schedules.get(zones[0]!.name)!.updated_at).toBe(77);
    const presets = db.prepare('SELECT name, schedule, saved_at FROM presets ORDER BY rowid').all() as { name: string; schedule: string; saved_at: number }[];
    expect(presets.map((p) => ({ name: p.name, schedule: JSON.parse(p.schedule) as unknown, saved_at: p.saved_at }))).toEqual(v1.presets);
    expect((v1.presets as unknown[]).length).toBeGreaterThan(0);
    // The saved state itself is untouched: the state upgrade 4 -> 5 drops what moved.
    expect(JSON.parse((db.prepare(`SELECT state FROM runtime WHERE scope = 'system'`).get() as { state: string }).state)).toEqual(state);
    db.close();
    const store = files.openStore();
    expect(store.loadSettings().unreadable).toEqual([]);
    expect(store.loadSettings().settings.presets).toEqual(v1.presets);
  });

  it('5 moves only what parses from a damaged saved state, and nothing from one that is not JSON, without failing', () => {
    const v1 = savedStateV1();
    const damaged = { ...v1, version: 99, zones: [{ name: 'Z1', schedule: { mon: 'nonsense' } }, 'not a zone'], presets: [...(v1.presets as unknown[]), { name: 'Broken', schedule: 12, saved_at: 1 }] };
    const db = schema4With(JSON.stringify(damaged));
    migrate(db);
    expect((db.prepare('SELECT target FROM schedules').all() as { target: string }[]).map((r) => r.target)).toEqual(['(default)']);
    expect((db.prepare('SELECT name FROM presets ORDER BY rowid').all() as { name: string }[]).map((r) => r.name)).toEqual((v1.presets as { name: string }[]).map((p) => p.name));
    db.close();
    const garbage = migrated(files.raw('second.db'), migrate, MIGRATIONS, 4);
    garbage.pragma('ignore_check_constraints = ON');
    garbage.prepare(`INSERT INTO runtime (scope, zone, state, updated_at) VALUES ('system', '', '{"version": 1, "zo', 1)`).run();
    expect(migrate(garbage)).toEqual({ from: 4, to: SCHEMA_VERSION });
    expect(garbage.prepare('SELECT count(*) AS n FROM schedules').get()).toEqual({ n: 0 });
  });

  it('6 (setpoint with each sample): the rows of an older file stay, with no setpoint, and history over them still answers', () => {
    const HOUR = 3600_000;
    const T0 = Date.UTC(2025, 0, 6);
    const db = migratedTo(5);
    // As an agent before migration 6 wrote a sample: its SAMPLE event, the raw row and each tier's bucket.
    db.prepare(`INSERT INTO events (seq, ts, source, zone, event, room_c, pipe_c, outdoor_c, detail) VALUES (1, ?, 'sampler', 'Z1', 'SAMPLE', 19, 40, -2, 'on')`).run(T0);
    db.prepare(`UPDATE meta SET value = 1 WHERE key = 'last_event_seq'`).run();
    db.prepare(`INSERT INTO samples (zone, ts, room_c, pipe_c, outdoor_c, output) VALUES ('Z1', ?, 19, 40, -2, 1)`).run(T0);
    for (const t of ['samples_15m', 'samples_1h', 'samples_1d']) {
      db.prepare(
        `INSERT INTO ${t} (zone, bucket, n, on_n, room_n, room_sum, room_min, room_max, pipe_n, pipe_sum, pipe_min, pipe_max, outdoor_n, outdoor_sum, outdoor_min, outdoor_max)
         VALUES ('Z1', ?, 1, 1, 1, 19, 19, 19, 1, 40, 40, 40, 1, -2, -2, -2)`,
      ).run(T0);
    }
    expect(migrate(db)).toEqual({ from: 5, to: 6 });
    expectSchemaAt(db, 6);
    expect(db.prepare('SELECT setpoint_c FROM events').all()).toEqual([{ setpoint_c: null }]);
    expect(db.prepare('SELECT setpoint_c FROM samples').all()).toEqual([{ setpoint_c: null }]);
    expect(db.prepare('SELECT n, setpoint_last, setpoint_ts FROM samples_1h').all()).toEqual([{ n: 1, setpoint_last: null, setpoint_ts: null }]);
    db.close();

    const store = files.openStore();
    expect(store.eventsAfter(0, 10)).toEqual([
      { seq: 1, ts: T0, source: 'sampler', zone: 'Z1', event: 'SAMPLE', room_c: 19, pipe_c: 40, outdoor_c: -2, setpoint_c: null, duration_s: null, detail: 'on' },
    ]);
    // A sample taken after the upgrade carries its setpoint; the old one still answers, honestly without.
    store.recordSamples([{ zone: 'Z1', ts: T0 + 2 * HOUR, room_c: 21, pipe_c: 45, outdoor_c: -1, output: false, setpoint_c: 21.5 }]);
    expect(store.history('Z1', T0, T0 + 3 * HOUR, 3)).toEqual([
      { ts: T0, room_c: 19, pipe_c: 40, outdoor_c: -2, setpoint_c: null, duty: 1 },
      { ts: T0 + 2 * HOUR, room_c: 21, pipe_c: 45, outdoor_c: -1, setpoint_c: 21.5, duty: 0 },
    ]);
    expect(store.eventsAfter(1, 10).map((e) => [e.seq, e.setpoint_c])).toEqual([[2, 21.5]]);
  });

  it('upgrades an older file step by step, keeping its rows', () => {
    const db = migratedTo(1);
    db.prepare(`INSERT INTO events (seq, ts, source, zone, event) VALUES (1, 5, 'control', 'Z1', 'ON')`).run();
    db.prepare(`UPDATE meta SET value = 1 WHERE key = 'last_event_seq'`).run();
    expect(migrate(db)).toEqual({ from: 1, to: SCHEMA_VERSION });
    expectSchemaAt(db, SCHEMA_VERSION);
    db.close();
    const store = files.openStore();
    expect(store.lastSeq()).toBe(1);
    expect(store.eventsAfter(0, 10).map((e) => e.zone)).toEqual(['Z1']);
  });

  it('does not re-run migrations when a file is opened again', () => {
    const { migrations: counted, runs } = countingMigrations(MIGRATIONS);
    openDatabase(files.path(), { migrations: counted }).close();
    const db = openDatabase(files.path(), { migrations: counted });
    expect(migrate(db, counted)).toEqual({ from: SCHEMA_VERSION, to: SCHEMA_VERSION });
    db.close();
    expect(runs).toEqual(MIGRATIONS.map(() => 1));
  });

  it('refuses a database from a newer version, with an error that says so, and leaves it untouched', () => {
    files.openStore().close();
    const raw = files.raw();
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    let thrown: unknown;
    try {
      AgentStore.open(files.path());
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(SchemaTooNewError);
    expect(String(thrown)).toContain(`version ${SCHEMA_VERSION + 1} is newer than this agent supports (${SCHEMA_VERSION})`);
    expect(schemaVersion(files.raw())).toBe(SCHEMA_VERSION + 1);
  });

  it('rolls a failing migration back whole and stops at the version before it', () => {
    const failing: Migration = halfDoneMigration('half');
    const db = files.raw();
    expect(() => migrate(db, [...MIGRATIONS.slice(0, 1), failing])).toThrow(MigrationError);
    expect(schemaVersion(db)).toBe(1);
    expect(tables(db).has('half')).toBe(false);
    expect(tables(db).has('events')).toBe(true);
  });

  it('opens with WAL, busy_timeout 5000, foreign keys on and synchronous FULL', () => {
    const db = openDatabase(files.path());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('busy_timeout', { simple: true })).toBe(BUSY_TIMEOUT_MS);
      expect(BUSY_TIMEOUT_MS).toBe(5000);
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      db.close();
    }
  });

  it('refuses to wrap a database that was not migrated', () => {
    const db = files.raw();
    expect(() => new AgentStore(db)).toThrow(StoreError);
    migrate(db);
    expect(() => new AgentStore(db)).not.toThrow();
  });
});
