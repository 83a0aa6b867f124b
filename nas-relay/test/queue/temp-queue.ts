import type Database from 'better-sqlite3';
import { SqliteCommandQueueStore, queueFileBeside } from '../../src/queue/index.js';
import { useTempDir } from '../../../service/test/support/temp-files.js';

/** A fresh temp directory per test; stores and raw connections opened in it are closed after. */
export interface TempQueueFiles {
  /** A path inside this test's directory (the queue's own file beside the replica's by default). */
  path(name?: string): string;
  /** Opens (and later closes) the queue's store on a file in the directory. */
  openStore(name?: string): SqliteCommandQueueStore;
  /** Opens (and later closes) the queue as the relay does: in its own file beside the replica's at `replicaPath` (REPLICA_FILE by default). */
  openBeside(replicaPath?: string): SqliteCommandQueueStore;
  /** A raw connection: how tests look at or tamper with what was written. */
  raw(name?: string): Database.Database;
  /** Registers something to close after the test. */
  onCleanup(close: () => void): void;
}

/** The replica's file name in these tests (the relay's DB_PATH); the queue's own file sits beside it. */
export const REPLICA_FILE = 'relay.db';

export function useTempQueueFiles(): TempQueueFiles {
  const dir = useTempDir('relay-queue-', queueFileBeside(REPLICA_FILE));
  return {
    path: dir.path,
    raw: dir.raw,
    onCleanup: dir.onCleanup,
    openStore: (name) => dir.track(SqliteCommandQueueStore.open(dir.path(name))),
    openBeside: (replicaPath = dir.path(REPLICA_FILE)) => dir.track(SqliteCommandQueueStore.openBeside(replicaPath)),
  };
}
