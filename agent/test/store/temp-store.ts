import type Database from 'better-sqlite3';
import { AgentStore } from '../../src/store/index.js';
import { useTempDir } from '../../../service/test/support/temp-files.js';

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
  const dir = useTempDir('agent-store-', 'agent.db');
  return {
    path: dir.path,
    raw: dir.raw,
    openStore: (name) => dir.track(AgentStore.open(dir.path(name))),
  };
}
