import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { AgentStore } from '../../src/store/index.js';

/** A fresh temp directory per test, with the stores and raw connections opened in it closed and removed after. */
export interface TempFiles {
  /** A path inside this test's directory. */
  path(name?: string): string;
  /** Opens (and later closes) the agent store on a file in the directory. */
  openStore(name?: string): AgentStore;
  /** A second, raw connection: how tests look at or tamper with what the store wrote. */
  raw(name?: string): Database.Database;
}

export function useTempFiles(): TempFiles {
  let dir: string | undefined;
  const closers: (() => void)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'agent-store-'));
  });
  afterEach(() => {
    for (const close of closers.splice(0).reverse()) close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const path = (name = 'agent.db'): string => {
    if (dir === undefined) throw new Error('useTempFiles: no test is running');
    return join(dir, name);
  };
  return {
    path,
    openStore(name) {
      const store = AgentStore.open(path(name));
      closers.push(() => store.close());
      return store;
    },
    raw(name) {
      const db = new Database(path(name));
      db.pragma('busy_timeout = 5000');
      closers.push(() => db.close());
      return db;
    },
  };
}
