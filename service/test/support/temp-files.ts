import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';

/** A fresh temp directory per test, whose databases and connections are closed and removed after it. */
export interface TempDir {
  /** A path inside this test's directory (the part's database file by default). */
  path(name?: string): string;
  /** A raw connection (busy_timeout 5000): how tests look at or tamper with what was written. */
  raw(name?: string): Database.Database;
  /** Closes `opened` after the test (last opened, first closed) and hands it back. */
  track<T extends { close(): void }>(opened: T): T;
  /** Registers something to close after the test. */
  onCleanup(close: () => void): void;
}

/**
 * Registers the per-test directory with vitest's hooks; call it at the top of a test file (or a
 * describe). The agent's store, the relay's replica and queue fixtures are built on it.
 */
export function useTempDir(prefix: string, defaultName: string): TempDir {
  let dir: string | undefined;
  const closers: (() => void)[] = [];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(() => {
    for (const close of closers.splice(0).reverse()) close();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  const path = (name = defaultName): string => {
    if (dir === undefined) throw new Error(`useTempDir(${prefix}): no test is running`);
    return join(dir, name);
  };
  const onCleanup = (close: () => void): void => {
    closers.push(close);
  };
  return {
    path,
    raw(name) {
      const db = new Database(path(name));
      db.pragma('busy_timeout = 5000');
      onCleanup(() => db.close());
      return db;
    },
    track(opened) {
      onCleanup(() => opened.close());
      return opened;
    },
    onCleanup,
  };
}
