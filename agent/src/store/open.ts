import Database from 'better-sqlite3';
import { migrate, type Migration, MIGRATIONS } from './migrations.js';

/**
 * Why `synchronous = FULL` and not NORMAL.
 *
 * Measured on this 2-core dev machine (`npx tsx bench/store-synchronous.ts 2000`, a real WAL
 * file under /tmp, 2,000 single-row transactions each, three interleaved rounds):
 *   NORMAL: 0.031 to 0.039 ms a commit (p50 0.018 to 0.026 ms, p99 0.07 to 0.10 ms)
 *   FULL:   0.29 to 0.37 ms a commit  (p50 0.21 to 0.27 ms, p99 0.7 to 3.3 ms)
 * FULL costs about ten times as much because every commit fsyncs the WAL; NORMAL only fsyncs
 * at checkpoints. An SD card's fsync is slower still (milliseconds), but the agent commits a
 * few times a minute (a sample tick, a relay switching, a command), so even 20 ms a commit is
 * noise next to the 10 ms command round trip budget measured on loopback and far from the
 * control loop's one-second tick.
 *
 * What NORMAL risks in WAL mode is not corruption but durability: after a power cut the
 * transactions committed since the last checkpoint may be gone (the WAL frames were written
 * but never synced). On this agent that breaks two promises:
 *   - a command answered `succeeded` to the relay could vanish, and when the relay retries the
 *     same id the agent would run it a second time (at-most-once broken) or, worse, the owner
 *     was told it happened and it did not;
 *   - event seqs already sent out through the outbox could be lost and then handed to new,
 *     different events after the reboot, and the relay skips already-seen seqs, so its replica
 *     would silently diverge.
 * FULL makes every commit durable before `transaction()` returns, and the command result is
 * only answered after its transaction returns, so "every command answered with success is in
 * the database" holds across a power cut as far as the card honours fsync (a card that lies
 * about flushing cannot be fixed in software; use an industrial card or a UPS HAT). Because
 * the WAL is append-only, a durable commit also makes every earlier commit durable, so the
 * log can only ever lose nothing, never a hole in the middle.
 */
export const SYNCHRONOUS = 'FULL';

/** How long a writer waits for a lock held by another connection before failing. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * The connection's page cache, in KiB (PRAGMA cache_size takes it negative): SQLite's own default
 * of about 2 MiB. better-sqlite3 is built with 16 MiB, which the agent fills as its file grows and
 * keeps for good: up to 14 MiB more RSS on a Pi whose target is 80 MiB in all. The kernel's page
 * cache holds the file's hot pages anyway; a page SQLite's cache misses is a read from there.
 */
export const CACHE_KIB = 2048;

export interface OpenOptions {
  /** The migrations to apply; tests pass a prefix to stop at an older schema. */
  migrations?: readonly Migration[];
  /**
   * Holds the file's lock for good (locking_mode EXCLUSIVE), so SQLite keeps the WAL index in
   * this process's memory instead of the `-shm` file. For a start on a full disk, where that file
   * cannot be made and a normal open fails: the agent can then run (and heat) with writes failing
   * until space is freed. No other process can read the file while it is open this way.
   */
  exclusive?: boolean;
}

/** Opens (creating if needed) the agent's SQLite file with its pragmas set and migrations applied. */
export function openDatabase(path: string, options: OpenOptions = {}): Database.Database {
  const db = new Database(path);
  try {
    // Before anything reads the file: the exclusive mode must be set before the WAL index is needed.
    if (options.exclusive === true) db.pragma('locking_mode = EXCLUSIVE');
    // busy_timeout first, so that switching to WAL waits for any other connection.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not switch ${path} to WAL (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${SYNCHRONOUS}`);
    db.pragma(`cache_size = -${CACHE_KIB}`);
    db.pragma('foreign_keys = ON');
    migrate(db, options.migrations ?? MIGRATIONS);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
