import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { Replica, type ReplicaOptions } from '../../src/replica/index.js';
import { AgentStore, openDatabase } from '../../../agent/src/store/index.js';

/** A fresh temp directory per test; replicas, agent stores and raw connections opened in it are closed after. */
export interface TempFiles {
  /** A path inside this test's directory. */
  path(name?: string): string;
  /** Opens (and later closes) a replica on a file in the directory. */
  openReplica(name?: string, options?: ReplicaOptions): Replica;
  /**
   * Opens (and later closes) the agent's store on a file in the directory: the source a replica
   * copies. Without fsync (synchronous OFF), since its durability is not what these tests look at.
   */
  openAgentStore(name?: string): AgentStore;
  /** A second, raw connection: how tests look at or tamper with what was written. */
  raw(name?: string): Database.Database;
}

export function useTempFiles(): TempFiles {
  let dir: string | undefined;
  const closers: (() => void)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'relay-replica-'));
  });
  afterEach(() => {
    for (const close of closers.splice(0).reverse()) close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const path = (name = 'replica.db'): string => {
    if (dir === undefined) throw new Error('useTempFiles: no test is running');
    return join(dir, name);
  };
  return {
    path,
    openReplica(name, options) {
      const replica = Replica.open(path(name), options);
      closers.push(() => replica.close());
      return replica;
    },
    openAgentStore(name = 'agent.db') {
      const db = openDatabase(path(name));
      db.pragma('synchronous = OFF');
      const store = new AgentStore(db);
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
