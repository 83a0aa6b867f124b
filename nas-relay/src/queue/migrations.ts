import { runMigrations, type SchemaMigration, type SchemaVersion } from '@boiler/service';
import Database from 'better-sqlite3';
import { QueueMigrationError, QueueSchemaTooNewError } from './errors.js';

/** One step of the schema (the shared runner's shape). */
export type QueueMigration = SchemaMigration;

/*
 * The queue lives in the relay's DB_PATH file beside the replica, which owns PRAGMA user_version
 * for its own migrations. So the queue keeps its version in a table of its own, and its tables
 * carry a `queue_` prefix so that neither part can ever take a name the other uses.
 */

/**
 * The queue's schema, in order; index i takes the queue schema version i to i + 1. Never edit a
 * shipped entry: add a new one.
 */
export const QUEUE_MIGRATIONS: readonly QueueMigration[] = [
  {
    name: 'commands and audit',
    up(db) {
      db.exec(`
        CREATE TABLE queue_commands (
          id TEXT PRIMARY KEY,
          -- Arrival order: commands go out in it. Assigned as max + 1; rows are never deleted.
          arrival INTEGER NOT NULL UNIQUE CHECK (arrival >= 1),
          body TEXT NOT NULL CHECK (json_valid(body)),
          created_at INTEGER NOT NULL,
          expires_at INTEGER NOT NULL,
          issued_by TEXT,
          client TEXT NOT NULL,
          accepted_at INTEGER NOT NULL,
          state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'succeeded', 'failed', 'expired', 'dead')),
          attempts INTEGER NOT NULL CHECK (attempts >= 0),
          next_attempt_at INTEGER,
          sent_at INTEGER,
          last_error TEXT CHECK (last_error IS NULL OR json_valid(last_error)),
          result TEXT CHECK (result IS NULL OR json_valid(result)),
          finished_at INTEGER,
          discarded_at INTEGER,
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX queue_commands_state_arrival ON queue_commands (state, arrival);
        CREATE TABLE queue_audit (
          id INTEGER PRIMARY KEY,
          ts INTEGER NOT NULL,
          command_id TEXT NOT NULL,
          client TEXT NOT NULL,
          action TEXT NOT NULL CHECK (action IN ('accepted', 'sent', 'retried', 'succeeded', 'failed', 'expired', 'dead', 'requeued', 'discarded')),
          detail TEXT
        ) STRICT;
        CREATE INDEX queue_audit_command ON queue_audit (command_id, id);
        CREATE INDEX queue_audit_ts ON queue_audit (ts);
      `);
    },
  },
];

/** The queue schema version this build writes. */
export const QUEUE_SCHEMA_VERSION = QUEUE_MIGRATIONS.length;

/** The queue's schema version: the row in queue_schema, 0 when the table does not exist yet. */
export function queueSchemaVersion(db: Database.Database): number {
  const table = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'queue_schema'`).get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT version FROM queue_schema WHERE id = 1').get() as { version: number } | undefined;
  return row?.version ?? 0;
}

/**
 * Brings the queue's schema up to `migrations.length`, one transaction per migration, and
 * refuses tables from a newer build. Never touches user_version. Returns the versions before and after.
 */
export function migrateQueue(db: Database.Database, migrations: readonly QueueMigration[] = QUEUE_MIGRATIONS): { from: number; to: number } {
  // The replica owns this file's user_version, so the queue keeps its version in a table of its own.
  const version: SchemaVersion = {
    read: queueSchemaVersion,
    write(d, v) {
      d.exec(`CREATE TABLE IF NOT EXISTS queue_schema (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          version INTEGER NOT NULL CHECK (version >= 0)
        ) STRICT`);
      d.prepare('INSERT INTO queue_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version').run(v);
    },
  };
  return runMigrations(db, migrations, version, {
    tooNew: (found, known) => new QueueSchemaTooNewError(found, known),
    failed: (v, name, cause) => new QueueMigrationError(v, name, cause),
  });
}

/** How long a writer waits for a lock held by another connection (the replica's) before failing. */
export const QUEUE_BUSY_TIMEOUT_MS = 5000;

/**
 * FULL: the relay answers 202 once a command is committed, and in WAL mode NORMAL lets a power
 * cut take back commits since the last checkpoint, so an accepted command could vanish.
 */
export const QUEUE_SYNCHRONOUS = 'FULL';

/** Opens (creating if needed) the relay's file for the queue: pragmas set, queue migrations applied. */
export function openQueueDatabase(path: string, migrations: readonly QueueMigration[] = QUEUE_MIGRATIONS): Database.Database {
  const db = new Database(path);
  try {
    // busy_timeout first, so that switching to WAL waits for the replica's connection.
    db.pragma(`busy_timeout = ${QUEUE_BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not switch ${path} to WAL (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${QUEUE_SYNCHRONOUS}`);
    migrateQueue(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
