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
};

/** The tables and indexes the agent's store and the replica share, which must be the same SQL. */
const SHARED = ['events', 'events_ts', 'events_zone_seq', 'events_event_seq', 'events_zone_event_seq', 'samples', 'samples_15m', 'samples_1h', 'samples_1d'];

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
    // Byte for byte the SQL the agent's migrations ran, so the shared queries mean the same on both.
    const agent = files.openAgentStore();
    expect(agent.lastSeq()).toBe(0);
    const sqlOf = (d: Database.Database) =>
      d.prepare(`SELECT name, sql FROM sqlite_schema WHERE name IN (${SHARED.map(() => '?').join(', ')}) ORDER BY name`).all(...SHARED);
    const shared = sqlOf(db);
    expect(shared).toHaveLength(SHARED.length);
    expect(shared).toEqual(sqlOf(files.raw('agent.db')));
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
