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

const files = useTempFiles();

/** What each migration adds; a migration without an entry here fails the completeness test. */
const ADDS: Record<number, { tables: string[]; indexes: string[] }> = {
  1: { tables: ['meta', 'events'], indexes: ['events_ts', 'events_zone_seq', 'events_event_seq', 'events_zone_event_seq'] },
  2: { tables: ['samples', 'samples_15m', 'samples_1h', 'samples_1d'], indexes: [] },
  3: { tables: ['runtime', 'schedules', 'presets'], indexes: [] },
  4: { tables: ['commands', 'audit'], indexes: ['commands_finished_at', 'audit_ts', 'audit_command_id'] },
};

function tables(db: Database.Database): Map<string, { strict: boolean }> {
  const rows = db.pragma('table_list') as { schema: string; name: string; type: string; strict: number }[];
  return new Map(
    rows.filter((r) => r.schema === 'main' && r.type === 'table' && !r.name.startsWith('sqlite_')).map((r) => [r.name, { strict: r.strict === 1 }]),
  );
}

function indexes(db: Database.Database): Set<string> {
  const rows = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

/** A fresh file migrated to `version` (the first `version` migrations). */
function migratedTo(version: number): Database.Database {
  const db = files.raw();
  const result = migrate(db, MIGRATIONS.slice(0, version));
  expect(result).toEqual({ from: 0, to: version });
  return db;
}

/** Checks that exactly the tables and indexes of migrations 1..version exist, all STRICT. */
function expectSchemaAt(db: Database.Database, version: number): void {
  expect(schemaVersion(db)).toBe(version);
  const t = tables(db);
  const i = indexes(db);
  for (const [v, adds] of Object.entries(ADDS)) {
    const present = Number(v) <= version;
    for (const name of adds.tables) {
      expect(t.has(name), `table ${name} after migration ${version}`).toBe(present);
      if (present) expect(t.get(name)?.strict, `table ${name} is STRICT`).toBe(true);
    }
    for (const name of adds.indexes) expect(i.has(name), `index ${name} after migration ${version}`).toBe(present);
  }
  const expectedTables = Object.entries(ADDS)
    .filter(([v]) => Number(v) <= version)
    .flatMap(([, a]) => a.tables);
  expect([...t.keys()].sort()).toEqual([...expectedTables].sort());
}

describe('migrations', () => {
  it('has a test entry for every migration', () => {
    expect(Object.keys(ADDS).map(Number)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    expect(SCHEMA_VERSION).toBe(MIGRATIONS.length);
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
    const runs = MIGRATIONS.map(() => 0);
    const counted: Migration[] = MIGRATIONS.map((m, i) => ({
      name: m.name,
      up(db) {
        runs[i] = (runs[i] ?? 0) + 1;
        m.up(db);
      },
    }));
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
    const failing: Migration = {
      name: 'half done',
      up(db) {
        db.exec('CREATE TABLE half (x INTEGER) STRICT');
        throw new Error('disk on fire');
      },
    };
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
