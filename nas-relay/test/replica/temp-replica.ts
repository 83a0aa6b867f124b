import type Database from 'better-sqlite3';
import { Replica, type ReplicaOptions } from '../../src/replica/index.js';
import { AgentStore, openDatabase } from '../../../agent/src/store/index.js';
import { useTempDir } from '../../../service/test/support/temp-files.js';

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
  const dir = useTempDir('relay-replica-', 'replica.db');
  return {
    path: dir.path,
    raw: dir.raw,
    openReplica: (name, options) => dir.track(Replica.open(dir.path(name), options)),
    openAgentStore(name = 'agent.db') {
      const db = openDatabase(dir.path(name));
      db.pragma('synchronous = OFF');
      return dir.track(new AgentStore(db));
    },
  };
}
