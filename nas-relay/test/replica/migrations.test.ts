import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  REPLICA_BUSY_TIMEOUT_MS,
  REPLICA_WAL_AUTOCHECKPOINT_PAGES,
  REPLICA_MIGRATIONS,
  REPLICA_SCHEMA_VERSION,
  Replica,
  ReplicaError,
  ReplicaMigrationError,
  ReplicaSchemaTooNewError,
  migrateReplica,
  openReplicaDatabase,
  replicaSchemaVersion,
  type ReplicaMigration,
} from '../../src/replica/index.js';
import { useTempFiles } from './temp-replica.js';
import { MIGRATIONS as AGENT_MIGRATIONS, migrate as migrateAgent } from '../../../agent/src/store/index.js';
import { sourceRange, T0 } from './fixtures/source-log.js';
import { countingMigrations, expectEntryPerMigration, expectSchemaAt as expectSchema, halfDoneMigration, migratedTo as migrated, schemaTables as tables, type SchemaAdds } from '../../../service/test/support/schema.js';

const files = useTempFiles();

/** What each migration adds; a migration without an entry here fails the completeness test. */
const ADDS: SchemaAdds = {
  1: {
    tables: ['meta', 'events', 'samples', 'samples_15m', 'samples_1h', 'samples_1d'],
    indexes: ['events_ts', 'events_zone_seq', 'events_event_seq', 'events_zone_event_seq'],
  },
  2: { tables: ['zone_states', 'system_state'], indexes: [] },
  3: { tables: ['site_settings'], indexes: [] },
  4: { tables: [], indexes: [] },
};

/** The tables and indexes the agent's store and the replica share, which must be the same SQL. */
const SHARED = ['events', 'events_ts', 'events_zone_seq', 'events_event_seq', 'events_zone_event_seq', 'samples', 'samples_15m', 'samples_1h', 'samples_1d'];

/** The CREATE statements of the tables and indexes the agent and the replica share, by name. */
const sharedSql = (d: Database.Database): unknown[] =>
  d.prepare(`SELECT name, sql FROM sqlite_schema WHERE name IN (${SHARED.map(() => '?').join(', ')}) ORDER BY name`).all(...SHARED);

const migratedTo = (version: number): Database.Database => migrated(files.raw(), migrateReplica, REPLICA_MIGRATIONS, version);

const expectSchemaAt = (db: Database.Database, version: number): void => expectSchema(db, ADDS, replicaSchemaVersion, version);

describe('replica migrations', () => {
  it('has a test entry for every migration', () => {
    expectEntryPerMigration(ADDS, REPLICA_MIGRATIONS, REPLICA_SCHEMA_VERSION);
  });

  it('1 (event log, samples and rollups): applied seq 0, and the agent store’s own events, samples and rollup tables', () => {
    const db = migratedTo(1);
    expectSchemaAt(db, 1);
    expect(db.prepare('SELECT key, value FROM meta').all()).toEqual([{ key: 'applied_seq', value: 0 }]);
    expect(() => db.prepare(`INSERT INTO events (seq, ts, source, event) VALUES (1, 'noon', 'system', 'ON')`).run()).toThrow(/cannot store TEXT/);
    // Byte for byte the SQL the agent's migrations 1 and 2 ran, so the shared queries mean the same on both.
    const agent = migrated(files.raw('agent.db'), migrateAgent, AGENT_MIGRATIONS, 2);
    const shared = sharedSql(db);
    expect(shared).toHaveLength(SHARED.length);
    expect(shared).toEqual(sharedSql(agent));
  });

  it('2 (current state): one row a zone, one system row, JSON only', () => {
    const db = migratedTo(2);
    expectSchemaAt(db, 2);
    db.prepare(`INSERT INTO zone_states (zone, state, received_at) VALUES ('Z1', '{}', 0)`).run();
    expect(() => db.prepare(`INSERT INTO zone_states (zone, state, received_at) VALUES ('Z2', 'not json', 0)`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`INSERT INTO zone_states (zone, state, received_at) VALUES ('Z1', '{}', 0)`).run()).toThrow(/UNIQUE|PRIMARY KEY/);
    db.prepare(`INSERT INTO system_state (id, state, received_at) VALUES (1, '{}', 0)`).run();
    expect(() => db.prepare(`INSERT INTO system_state (id, state, received_at) VALUES (2, '{}', 0)`).run()).toThrow(/CHECK/);
  });

  it('3 (schedules and presets): one settings row, JSON only', () => {
    const db = migratedTo(3);
    expectSchemaAt(db, 3);
    db.prepare(`INSERT INTO site_settings (id, settings, received_at) VALUES (1, '{}', 0)`).run();
    expect(() => db.prepare(`INSERT INTO site_settings (id, settings, received_at) VALUES (2, '{}', 0)`).run()).toThrow(/CHECK/);
    expect(() => db.prepare(`UPDATE site_settings SET settings = 'nope' WHERE id = 1`).run()).toThrow(/CHECK/);
  });

  it('4 (setpoint with each sample): the replicated rows stay, with no setpoint, the applied seq too, and the shared tables match the agent’s again', () => {
    const db = migratedTo(3);
    // As a relay before migration 4 applied two events: a SAMPLE (its sample and rollups too) and an ON.
    const insertEvent = db.prepare(`INSERT INTO events (seq, ts, source, zone, event, room_c, detail) VALUES (?, ?, ?, 'Z1', ?, 19, ?)`);
    insertEvent.run(1, T0, 'sampler', 'SAMPLE', 'on');
    insertEvent.run(2, T0 + 1, 'control', 'ON', null);
    db.prepare(`UPDATE meta SET value = 2 WHERE key = 'applied_seq'`).run();
    db.prepare(`INSERT INTO samples (zone, ts, room_c, output) VALUES ('Z1', ?, 19, 1)`).run(T0);
    for (const t of ['samples_15m', 'samples_1h', 'samples_1d']) {
      db.prepare(`INSERT INTO ${t} (zone, bucket, n, on_n, room_n, room_sum, room_min, room_max, pipe_n, pipe_sum, outdoor_n, outdoor_sum) VALUES ('Z1', ?, 1, 1, 1, 19, 19, 19, 0, 0, 0, 0)`).run(T0);
    }
    expect(migrateReplica(db)).toEqual({ from: 3, to: 4 });
    expectSchemaAt(db, 4);
    db.close();

    const replica = files.openReplica();
    expect(replica.appliedSeq()).toBe(2);
    expect(replica.queryEvents().map((e) => [e.seq, e.setpoint_c])).toEqual([
      [2, null],
      [1, null],
    ]);
    expect(replica.history('Z1', T0, T0 + 3600_000, 1)).toEqual([{ ts: T0, room_c: 19, pipe_c: null, outdoor_c: null, setpoint_c: null, duty: 1 }]);
    // The agent's own migration 6 ran the same statements: the shared tables are the same SQL again.
    files.openAgentStore();
    expect(sharedSql(files.raw())).toEqual(sharedSql(files.raw('agent.db')));
    // What arrives next carries its setpoint into the samples and the rollups.
    const next = sourceRange(3, 30).map((e) => ({ ...e, ts: e.ts + 3600_000 }));
    replica.applyEvents(next);
    const last = next.filter((e) => e.event === 'SAMPLE' && e.zone === 'Z1').at(-1);
    expect(last?.setpoint_c).not.toBeNull();
    expect(replica.history('Z1', T0 + 3600_000, T0 + 2 * 3600_000, 1)[0]?.setpoint_c).toBe(last?.setpoint_c);
  });

  it('upgrades an older file step by step, keeping its rows', () => {
    const db = migratedTo(1);
    db.prepare(`INSERT INTO events (seq, ts, source, zone, event) VALUES (1, 5, 'control', 'Z1', 'ON')`).run();
    db.prepare(`UPDATE meta SET value = 1 WHERE key = 'applied_seq'`).run();
    db.close();
    const replica = files.openReplica();
    expect(replica.appliedSeq()).toBe(1);
    expect(replica.queryEvents().map((e) => e.zone)).toEqual(['Z1']);
    expectSchemaAt(files.raw(), REPLICA_SCHEMA_VERSION);
  });

  it('does not re-run migrations when a file is opened again', () => {
    const { migrations: counted, runs } = countingMigrations(REPLICA_MIGRATIONS);
    openReplicaDatabase(files.path(), counted).close();
    openReplicaDatabase(files.path(), counted).close();
    expect(runs).toEqual(REPLICA_MIGRATIONS.map(() => 1));
  });

  it('refuses a file from a newer relay and leaves it untouched', () => {
    files.openReplica().close();
    const raw = files.raw();
    raw.pragma(`user_version = ${REPLICA_SCHEMA_VERSION + 1}`);
    raw.close();
    expect(() => Replica.open(files.path())).toThrow(ReplicaSchemaTooNewError);
    expect(replicaSchemaVersion(files.raw())).toBe(REPLICA_SCHEMA_VERSION + 1);
  });

  it('rolls a failing migration back whole and stops at the version before it', () => {
    const failing: ReplicaMigration = halfDoneMigration('half');
    const db = files.raw();
    expect(() => migrateReplica(db, [...REPLICA_MIGRATIONS.slice(0, 1), failing])).toThrow(ReplicaMigrationError);
    expect(replicaSchemaVersion(db)).toBe(1);
    expect(tables(db).has('half')).toBe(false);
  });

  it('opens with WAL, busy_timeout 5000, synchronous NORMAL and checkpoints kept out of most catch-up pages', () => {
    const db = openReplicaDatabase(files.path());
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('busy_timeout', { simple: true })).toBe(REPLICA_BUSY_TIMEOUT_MS);
      expect(REPLICA_BUSY_TIMEOUT_MS).toBe(5000);
      expect(db.pragma('synchronous', { simple: true })).toBe(1);
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(REPLICA_WAL_AUTOCHECKPOINT_PAGES);
    } finally {
      db.close();
    }
  });

  it('refuses to wrap a database that was not migrated', () => {
    const db = files.raw();
    expect(() => new Replica(db)).toThrow(ReplicaError);
    migrateReplica(db);
    expect(() => new Replica(db)).not.toThrow();
  });
});
