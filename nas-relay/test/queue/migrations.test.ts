import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  QUEUE_MIGRATIONS,
  QUEUE_SCHEMA_VERSION,
  QueueMigrationError,
  QueueSchemaTooNewError,
  migrateQueue,
  openQueueDatabase,
  queueSchemaVersion,
  type QueueMigration,
} from '../../src/queue/index.js';
import { migrateReplica, replicaSchemaVersion } from '../../src/replica/index.js';
import { T0, uuid } from './harness.js';
import { useTempQueueFiles } from './temp-queue.js';
import { expectEntryPerMigration, expectSchemaAt as expectSchema, halfDoneMigration, migratedTo as migrated, schemaTables as tables, type SchemaAdds } from '../../../service/test/support/schema.js';

const files = useTempQueueFiles();

/** What each migration adds; a migration without an entry here fails the completeness test. */
const ADDS: SchemaAdds = {
  1: {
    tables: ['queue_schema', 'queue_commands', 'queue_audit'],
    indexes: ['queue_commands_state_arrival', 'queue_audit_command', 'queue_audit_ts'],
  },
};

const migratedTo = (version: number): Database.Database => migrated(files.raw(), migrateQueue, QUEUE_MIGRATIONS, version);

function expectSchemaAt(db: Database.Database, version: number): void {
  expectSchema(db, ADDS, queueSchemaVersion, version);
  // The replica owns user_version; the queue never touches it.
  expect(replicaSchemaVersion(db)).toBe(0);
}

const ROW = {
  id: uuid(1),
  arrival: 1,
  body: '{"type":"home"}',
  created_at: T0,
  expires_at: T0 + 1,
  issued_by: null,
  client: 'desktop',
  accepted_at: T0,
  state: 'queued',
  attempts: 0,
  next_attempt_at: T0,
  sent_at: null,
  last_error: null,
  result: null,
  finished_at: null,
  discarded_at: null,
  updated_at: T0,
};

function insertRow(db: Database.Database, change: Partial<Record<keyof typeof ROW, unknown>> = {}): void {
  const row = { ...ROW, ...change };
  const cols = Object.keys(row);
  db.prepare(`INSERT INTO queue_commands (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`).run(row);
}

describe('command queue migrations', () => {
  it('has a test entry for every migration', () => {
    expectEntryPerMigration(ADDS, QUEUE_MIGRATIONS, QUEUE_SCHEMA_VERSION);
  });

  it('0: a file without the queue’s tables is at version 0', () => {
    const db = files.raw();
    expect(queueSchemaVersion(db)).toBe(0);
    expectSchemaAt(db, 0);
  });

  it('1 (commands and audit): STRICT tables whose checks keep out what the queue never writes', () => {
    const db = migratedTo(1);
    expectSchemaAt(db, 1);
    expect(db.prepare('SELECT id, version FROM queue_schema').all()).toEqual([{ id: 1, version: 1 }]);
    insertRow(db);
    expect(() => insertRow(db, { id: uuid(2), arrival: 1 })).toThrow(/UNIQUE constraint failed: queue_commands.arrival/);
    expect(() => insertRow(db, { arrival: 2 })).toThrow(/UNIQUE constraint failed: queue_commands.id/);
    expect(() => insertRow(db, { id: uuid(3), arrival: 3, state: 'lost' })).toThrow(/CHECK constraint/);
    expect(() => insertRow(db, { id: uuid(3), arrival: 3, body: '{type' })).toThrow(/CHECK constraint/);
    expect(() => insertRow(db, { id: uuid(3), arrival: 3, attempts: -1 })).toThrow(/CHECK constraint/);
    expect(() => insertRow(db, { id: uuid(3), arrival: 0 })).toThrow(/CHECK constraint/);
    expect(() => insertRow(db, { id: uuid(3), arrival: 3, created_at: 'noon' })).toThrow(/cannot store TEXT value in INTEGER column/);
    const audit = db.prepare('INSERT INTO queue_audit (ts, command_id, client, action, detail) VALUES (?, ?, ?, ?, ?)');
    audit.run(T0, uuid(1), 'desktop', 'accepted', null);
    expect(() => audit.run(T0, uuid(1), 'desktop', 'forgotten', null)).toThrow(/CHECK constraint/);
    expect(() => db.prepare('INSERT INTO queue_schema (id, version) VALUES (2, 1)').run()).toThrow(/CHECK constraint/);
    // Sending walks queued commands in arrival order: that query uses the index, not a scan.
    const plan = db.prepare(`EXPLAIN QUERY PLAN SELECT * FROM queue_commands WHERE state = 'queued' AND arrival > 0 ORDER BY arrival LIMIT 10`).all() as {
      detail: string;
    }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING INDEX queue_commands_state_arrival/);
  });

  it('running again is a no-op, and a later migration runs on top of the shipped ones', () => {
    const db = migratedTo(QUEUE_SCHEMA_VERSION);
    insertRow(db);
    expect(migrateQueue(db)).toEqual({ from: QUEUE_SCHEMA_VERSION, to: QUEUE_SCHEMA_VERSION });
    const next: QueueMigration = { name: 'priority', up: (d) => d.exec('ALTER TABLE queue_commands ADD COLUMN priority INTEGER NOT NULL DEFAULT 0') };
    expect(migrateQueue(db, [...QUEUE_MIGRATIONS, next])).toEqual({ from: QUEUE_SCHEMA_VERSION, to: QUEUE_SCHEMA_VERSION + 1 });
    expect(queueSchemaVersion(db)).toBe(QUEUE_SCHEMA_VERSION + 1);
    expect(db.prepare('SELECT id, priority FROM queue_commands').all()).toEqual([{ id: uuid(1), priority: 0 }]);
  });

  it('a migration that throws is rolled back whole and leaves the version where it was', () => {
    const db = migratedTo(QUEUE_SCHEMA_VERSION);
    const broken: QueueMigration = halfDoneMigration('queue_extra', 'disk said no');
    const run = (): unknown => migrateQueue(db, [...QUEUE_MIGRATIONS, broken]);
    expect(run).toThrow(QueueMigrationError);
    expect(run).toThrow(`command queue migration ${QUEUE_SCHEMA_VERSION + 1} (half done) failed, schema left at version ${QUEUE_SCHEMA_VERSION}`);
    expect(queueSchemaVersion(db)).toBe(QUEUE_SCHEMA_VERSION);
    expect(tables(db).has('queue_extra')).toBe(false);
  });

  it('a first migration that throws leaves no queue_schema table behind', () => {
    const db = files.raw();
    expect(() => migrateQueue(db, [{ name: 'boom', up: () => { throw new Error('boom'); } }])).toThrow(QueueMigrationError);
    expect(tables(db).size).toBe(0);
    expect(queueSchemaVersion(db)).toBe(0);
  });

  it('refuses tables from a newer relay, and the open fails and closes', () => {
    const db = migratedTo(QUEUE_SCHEMA_VERSION);
    db.prepare('UPDATE queue_schema SET version = ?').run(QUEUE_SCHEMA_VERSION + 5);
    expect(() => migrateQueue(db)).toThrow(QueueSchemaTooNewError);
    expect(() => openQueueDatabase(files.path())).toThrow(`command queue schema version ${QUEUE_SCHEMA_VERSION + 5} is newer than this relay supports (${QUEUE_SCHEMA_VERSION})`);
  });

  it('runs on a file the replica already migrated, leaving its user_version alone', () => {
    const db = files.raw();
    const replica = migrateReplica(db);
    migrateQueue(db);
    expect(replicaSchemaVersion(db)).toBe(replica.to);
    expect(queueSchemaVersion(db)).toBe(QUEUE_SCHEMA_VERSION);
    // And the other way round: the replica's migrations find the queue's tables and leave them be.
    expect(migrateReplica(db)).toEqual({ from: replica.to, to: replica.to });
    expect(queueSchemaVersion(db)).toBe(QUEUE_SCHEMA_VERSION);
  });
});
