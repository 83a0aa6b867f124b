import Database from 'better-sqlite3';
import { EVENTS_SCHEMA_SQL, EVENTS_SETPOINT_SQL, SAMPLES_SCHEMA_SQL, SAMPLES_SETPOINT_SQL, runMigrations, userVersion, type SchemaMigration } from '@boiler/service';
import { ReplicaMigrationError, ReplicaSchemaTooNewError } from './errors.js';

/** One step of the schema (the shared runner's shape). */
export type ReplicaMigration = SchemaMigration;

/**
 * The replica's schema, in order; index i takes user_version i to i + 1. Never edit a shipped
 * entry: add a new one. The events, samples and rollup tables are the agent's own (one copy in
 * @boiler/service), so the same history and event queries run on both.
 */
export const REPLICA_MIGRATIONS: readonly ReplicaMigration[] = [
  {
    name: 'event log, samples and rollups',
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
        -- The highest seq applied. It is written in the transaction that writes the events (and
        -- the samples derived from them), so it can never run ahead of them or lag behind.
        INSERT INTO meta (key, value) VALUES ('applied_seq', 0);
${EVENTS_SCHEMA_SQL}
${SAMPLES_SCHEMA_SQL}`);
    },
  },
  {
    name: 'current zone and system state',
    up(db) {
      db.exec(`
        CREATE TABLE zone_states (
          zone TEXT PRIMARY KEY,
          state TEXT NOT NULL CHECK (json_valid(state)),
          received_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE system_state (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          state TEXT NOT NULL CHECK (json_valid(state)),
          received_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    name: 'schedules and presets',
    up(db) {
      db.exec(`
        CREATE TABLE site_settings (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          settings TEXT NOT NULL CHECK (json_valid(settings)),
          received_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    // The agent's migration 6 too: replicated rows stay, with no setpoint recorded (NULL), and the
    // applied seq is kept, so nothing is fetched again.
    name: 'setpoint with each sample',
    up(db) {
      db.exec(EVENTS_SETPOINT_SQL + SAMPLES_SETPOINT_SQL);
    },
  },
];

/** The schema version this build writes. */
export const REPLICA_SCHEMA_VERSION = REPLICA_MIGRATIONS.length;

/** The database's schema version (PRAGMA user_version). */
export function replicaSchemaVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Brings the schema up to `migrations.length`, one transaction per migration, and refuses a
 * file from a newer build. Returns the versions before and after.
 */
export function migrateReplica(
  db: Database.Database,
  migrations: readonly ReplicaMigration[] = REPLICA_MIGRATIONS,
): { from: number; to: number } {
  return runMigrations(db, migrations, userVersion(replicaSchemaVersion), {
    tooNew: (found, known) => new ReplicaSchemaTooNewError(found, known),
    failed: (version, name, cause) => new ReplicaMigrationError(version, name, cause),
  });
}

/** How long a writer waits for a lock held by another connection before failing. */
export const REPLICA_BUSY_TIMEOUT_MS = 5000;

/**
 * NORMAL, not FULL: the replica is a copy, and in WAL mode NORMAL can only lose the last commits
 * before a power cut, never corrupt the file, and a lost tail is consistent (each batch's events
 * and its applied seq commit together). After such a cut the relay asks the agent again from the
 * applied seq it still has; the agent keeps the newest 10,000 events whatever the relay acked, so
 * an ack that a power cut took back costs a re-send, nothing more. FULL would add an fsync to
 * every applied batch, which is most of the ON/OFF replica lag on loopback. (The command queue,
 * whose accepted commands must survive a power cut, uses FULL on its own connection.)
 */
export const REPLICA_SYNCHRONOUS = 'NORMAL';

/**
 * WAL pages before a commit also checkpoints (SQLite's default is 1,000). A checkpoint runs inside
 * whichever commit crosses the mark and adds two fsyncs and a copy into the database file to it; a
 * catch-up page of 1,000 events writes some 300 pages, so at the default every third page of a
 * catch-up paid for one. At 10,000 the WAL grows to about 40 MiB between checkpoints (each copies
 * more, but rarely); nothing about durability changes (see REPLICA_SYNCHRONOUS).
 */
export const REPLICA_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** Opens (creating if needed) a replica file with its pragmas set and migrations applied. */
export function openReplicaDatabase(path: string, migrations: readonly ReplicaMigration[] = REPLICA_MIGRATIONS): Database.Database {
  const db = new Database(path);
  try {
    // busy_timeout first, so that switching to WAL waits for any other connection.
    db.pragma(`busy_timeout = ${REPLICA_BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not switch ${path} to WAL (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${REPLICA_SYNCHRONOUS}`);
    db.pragma(`wal_autocheckpoint = ${REPLICA_WAL_AUTOCHECKPOINT_PAGES}`);
    migrateReplica(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
