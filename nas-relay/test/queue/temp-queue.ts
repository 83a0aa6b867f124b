import type Database from 'better-sqlite3';
import { SqliteCommandQueueStore } from '../../src/queue/index.js';
import { useTempDir } from '../../../service/test/support/temp-files.js';

/** A fresh temp directory per test; stores and raw connections opened in it are closed after. */
export interface TempQueueFiles {
  /** A path inside this test's directory (the relay's DB_PATH by default). */
  path(name?: string): string;
  /** Opens (and later closes) the queue's store on a file in the directory. */
  openStore(name?: string): SqliteCommandQueueStore;
  /** A raw connection: how tests look at or tamper with what was written. */
  raw(name?: string): Database.Database;
  /** Registers something to close after the test. */
  onCleanup(close: () => void): void;
}

export function useTempQueueFiles(): TempQueueFiles {
  const dir = useTempDir('relay-queue-', 'relay.db');
  return {
    path: dir.path,
    raw: dir.raw,
    onCleanup: dir.onCleanup,
    openStore: (name) => dir.track(SqliteCommandQueueStore.open(dir.path(name))),
  };
}
