import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { SqliteCommandQueueStore } from '../../src/queue/index.js';

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
  let dir: string | undefined;
  const closers: (() => void)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-queue-'));
  });
  afterEach(() => {
    for (const close of closers.splice(0).reverse()) close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const path = (name = 'relay.db'): string => {
    if (dir === undefined) throw new Error('useTempQueueFiles: no test is running');
    return join(dir, name);
  };
  return {
    path,
    openStore(name) {
      const store = SqliteCommandQueueStore.open(path(name));
      closers.push(() => store.close());
      return store;
    },
    raw(name) {
      const db = new Database(path(name));
      db.pragma('busy_timeout = 5000');
      closers.push(() => db.close());
      return db;
    },
    onCleanup(close) {
      closers.push(close);
    },
  };
}
