import { copyFileSync, existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Replica } from '../../src/replica/index.js';
import { QUEUE_SCHEMA_VERSION, SqliteCommandQueueStore, queueFileBeside, queueSchemaVersion, type AuditEntry, type NewQueuedCommand } from '../../src/queue/index.js';
import { T0, setpoint, uuid, newCommand } from './harness.js';
import { REPLICA_FILE, useTempQueueFiles } from './temp-queue.js';

const files = useTempQueueFiles();

function command(n: number, change: Partial<NewQueuedCommand> = {}): NewQueuedCommand {
  return newCommand(n, { body: setpoint('kitchen', 15 + n), ...change });
}

const audit = (n: number, action: AuditEntry['action'], detail: string | null = null): AuditEntry => ({ ts: T0 + n, command_id: uuid(n), client: 'desktop', action, detail });

/**
 * A replica file as an earlier relay left it: the replica's tables with an applied batch, and the
 * queue's tables beside them holding a queued, a sent and a dead command with their audit rows.
 */
function earlierRelayFile(path: string): void {
  const replica = Replica.open(path);
  replica.applyEvents([{ seq: 1, ts: T0, source: 'control', zone: 'kitchen', event: 'ON', room_c: 19, pipe_c: 40, outdoor_c: 2, duration_s: null, detail: null }]);
  const store = SqliteCommandQueueStore.open(path);
  store.insert(command(1), audit(1, 'accepted'));
  store.insert(command(2, { state: 'sent', attempts: 1, sent_at: T0, next_attempt_at: null }), [audit(2, 'accepted'), audit(2, 'sent', 'attempt 1')]);
  store.insert(command(3, { state: 'dead', attempts: 3, next_attempt_at: null, last_error: { code: 'timeout', message: 'no answer' }, finished_at: T0 }), [
    audit(3, 'accepted'),
    audit(3, 'dead', 'timeout on attempt 3 of 3'),
  ]);
  store.close();
  replica.close();
}

function snapshot(store: SqliteCommandQueueStore): { commands: unknown[]; trails: unknown[] } {
  const commands = store.list({ limit: 100, includeDiscarded: true });
  return { commands, trails: commands.map((c) => store.auditTrail(c.id)) };
}

describe('the queue moving out of the replica’s file', () => {
  it('names its own file beside the replica’s', () => {
    expect(queueFileBeside('/data/relay.db')).toBe('/data/relay-queue.db');
    expect(queueFileBeside('/data/replica.sqlite3')).toBe('/data/replica-queue.sqlite3');
    expect(queueFileBeside('/data/relay')).toBe('/data/relay-queue');
  });

  it('moves every command with its audit trail on first start, in arrival order, and leaves the replica’s tables alone', () => {
    const replicaPath = files.path(REPLICA_FILE);
    earlierRelayFile(replicaPath);
    const before = SqliteCommandQueueStore.open(replicaPath);
    const expected = snapshot(before);
    before.close();
    expect(expected.commands).toHaveLength(3);

    const store = files.openBeside(replicaPath);
    expect(snapshot(store)).toEqual(expected);
    expect(store.inState('queued', { limit: 10 }).map((c) => [c.id, c.arrival])).toEqual([[uuid(1), 1]]);
    expect(store.inState('sent', { limit: 10 }).map((c) => [c.id, c.arrival])).toEqual([[uuid(2), 2]]);
    expect(existsSync(queueFileBeside(replicaPath))).toBe(true);

    const raw = files.raw(REPLICA_FILE);
    expect(queueSchemaVersion(raw)).toBe(0);
    expect(raw.prepare(`SELECT name FROM sqlite_schema WHERE name LIKE 'queue%'`).all()).toEqual([]);
    const replica = Replica.open(replicaPath);
    expect(replica.appliedSeq()).toBe(1);
    expect(replica.integrityCheck()).toEqual([]);
    replica.close();

    const own = files.raw();
    expect(queueSchemaVersion(own)).toBe(QUEUE_SCHEMA_VERSION);
  });

  it('moves nothing again on the next start: no command or audit row twice', () => {
    const replicaPath = files.path(REPLICA_FILE);
    earlierRelayFile(replicaPath);
    const first = files.openBeside(replicaPath);
    const expected = snapshot(first);
    first.close();
    const again = files.openBeside(replicaPath);
    expect(snapshot(again)).toEqual(expected);
  });

  it('after a crash between the copy and the drop, the next start finishes the move without copying a row twice', () => {
    const replicaPath = files.path(REPLICA_FILE);
    earlierRelayFile(replicaPath);
    // The replica's file as it was before the drop committed (every connection closed: no WAL beside it).
    const beforeDrop = files.path('before-drop.db');
    copyFileSync(replicaPath, beforeDrop);
    const first = files.openBeside(replicaPath);
    const expected = snapshot(first);
    first.close();
    copyFileSync(beforeDrop, replicaPath);

    const store = files.openBeside(replicaPath);
    expect(snapshot(store)).toEqual(expected);
    expect(queueSchemaVersion(files.raw(REPLICA_FILE))).toBe(0);
  });

  it('puts moved commands after any already in its own file, so none loses its place to another', () => {
    const replicaPath = files.path(REPLICA_FILE);
    earlierRelayFile(replicaPath);
    const own = files.openStore();
    own.insert(command(9), audit(9, 'accepted'));
    own.close();

    const store = files.openBeside(replicaPath);
    expect(store.list({ limit: 10 }).map((c) => [c.id, c.arrival])).toEqual([
      [uuid(3), 4],
      [uuid(2), 3],
      [uuid(1), 2],
      [uuid(9), 1],
    ]);
    expect(store.auditTrail(uuid(2)).map((a) => a.action)).toEqual(['accepted', 'sent']);
  });

  it('on a fresh install creates its own file only, and no replica file', () => {
    const replicaPath = files.path(REPLICA_FILE);
    const store = files.openBeside(replicaPath);
    expect(store.counts().queued).toBe(0);
    expect(existsSync(replicaPath)).toBe(false);
    expect(existsSync(queueFileBeside(replicaPath))).toBe(true);
  });

  it('leaves a replica file that never held the queue as it was', () => {
    const replicaPath = files.path(REPLICA_FILE);
    Replica.open(replicaPath).close();
    const raw = new Database(replicaPath);
    const schema = raw.prepare('SELECT name, sql FROM sqlite_schema ORDER BY name').all();
    raw.close();
    files.openBeside(replicaPath);
    expect(files.raw(REPLICA_FILE).prepare('SELECT name, sql FROM sqlite_schema ORDER BY name').all()).toEqual(schema);
  });
});
