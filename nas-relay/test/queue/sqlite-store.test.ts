import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { REPLICA_SCHEMA_VERSION, Replica, replicaSchemaVersion } from '../../src/replica/index.js';
import {
  CommandQueueError,
  CorruptQueueRecordError,
  QUEUE_SCHEMA_VERSION,
  QUEUE_WAL_AUTOCHECKPOINT_PAGES,
  SqliteCommandQueueStore,
  openQueueDatabase,
  queueSchemaVersion,
  type NewQueuedCommand,
} from '../../src/queue/index.js';
import { T0, uuid, newCommand } from './harness.js';
import { useTempQueueFiles } from './temp-queue.js';

const files = useTempQueueFiles();

function fresh(n: number): NewQueuedCommand {
  return newCommand(n, { issued_by: 'owner' });
}

const accepted = (n: number) => ({ ts: T0, command_id: uuid(n), client: 'desktop', action: 'accepted' as const, detail: null });

describe('SQLite command queue store', () => {
  it('opens its connection in WAL, with a 5 s busy timeout, synchronous FULL and checkpoints kept out of most commits', () => {
    const db = openQueueDatabase(files.path());
    files.onCleanup(() => db.close());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    // 2 is FULL: migrations and the move from an older file are on disk when they return (the store then syncs each commit itself: wal-sync.test.ts).
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(QUEUE_WAL_AUTOCHECKPOINT_PAGES);
    expect(queueSchemaVersion(db)).toBe(QUEUE_SCHEMA_VERSION);
  });

  it('has every write committed when the call returns: another connection sees it at once', () => {
    const store = files.openStore();
    const other = files.raw();
    store.insert(fresh(1), accepted(1));
    expect(other.prepare('SELECT id, state FROM queue_commands').all()).toEqual([{ id: uuid(1), state: 'queued' }]);
    expect(other.prepare('SELECT action FROM queue_audit').all()).toEqual([{ action: 'accepted' }]);
    // A store opened on the same file (as after a restart) reads it back whole.
    const again = new SqliteCommandQueueStore(openQueueDatabase(files.path()));
    files.onCleanup(() => again.close());
    expect(again.get(uuid(1))).toEqual({ ...fresh(1), arrival: 1 });
  });

  it('shares the relay’s file with the replica without touching its user_version, in either order of opening', () => {
    const replicaFirst = files.path('a.db');
    const replica = Replica.open(replicaFirst);
    const store = SqliteCommandQueueStore.open(replicaFirst);
    store.insert(fresh(1), accepted(1));
    replica.close();
    store.close();
    const raw = new Database(replicaFirst);
    files.onCleanup(() => raw.close());
    expect(replicaSchemaVersion(raw)).toBe(REPLICA_SCHEMA_VERSION);
    expect(queueSchemaVersion(raw)).toBe(QUEUE_SCHEMA_VERSION);

    const queueFirst = files.path('b.db');
    const store2 = SqliteCommandQueueStore.open(queueFirst);
    const raw2 = new Database(queueFirst);
    files.onCleanup(() => raw2.close());
    expect(replicaSchemaVersion(raw2)).toBe(0);
    const replica2 = Replica.open(queueFirst);
    expect(replicaSchemaVersion(raw2)).toBe(REPLICA_SCHEMA_VERSION);
    store2.insert(fresh(2), accepted(2));
    expect(replica2.appliedSeq()).toBe(0);
    replica2.close();
    store2.close();
  });

  it('refuses a database whose queue tables were never migrated', () => {
    const db = new Database(files.path());
    files.onCleanup(() => db.close());
    expect(() => new SqliteCommandQueueStore(db)).toThrow(CommandQueueError);
    expect(() => new SqliteCommandQueueStore(db)).toThrow(/schema version 0/);
  });

  it('refuses a stored row that no longer parses, naming the command, instead of trusting it', () => {
    const store = files.openStore();
    store.insert(fresh(1), accepted(1));
    store.insert(fresh(2), accepted(2));
    const raw = files.raw();
    raw.prepare(`UPDATE queue_commands SET body = '{"type":"setpoint","zone":"kitchen"}' WHERE id = ?`).run(uuid(1));
    expect(() => store.get(uuid(1))).toThrow(CorruptQueueRecordError);
    expect(() => store.get(uuid(1))).toThrow(new RegExp(`queued command ${uuid(1)}`));
    expect(store.get(uuid(2))).not.toBeNull();
    // Text that is not JSON does not get in at all.
    expect(() => raw.prepare(`UPDATE queue_commands SET result = '[1' WHERE id = ?`).run(uuid(2))).toThrow(/CHECK constraint/);
  });
});
