import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { runMigrations, type SchemaMigration, type SchemaVersion } from '@boiler/service';
import Database from 'better-sqlite3';
import { QueueMigrationError, QueueSchemaTooNewError } from './errors.js';

/** One step of the schema (the shared runner's shape). */
export type QueueMigration = SchemaMigration;

/*
 * The queue used to live in the relay's DB_PATH file beside the replica, which owns PRAGMA
 * user_version for its own migrations. So the queue keeps its version in a table of its own, and
 * its tables carry a `queue_` prefix so that neither part can ever take a name the other uses.
 * It now has a file of its own (queueFileBeside), and moves out of the replica's on first start.
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

/**
 * The queue's own file beside the replica's: `/data/relay.db` -> `/data/relay-queue.db`. Its own
 * file, because in a shared WAL every fsync of a queue commit (synchronous FULL) also flushed the
 * replica's unsynced frames, and the replica's growth set off checkpoints inside queue commits.
 */
export function queueFileBeside(replicaPath: string): string {
  const ext = extname(replicaPath);
  return join(dirname(replicaPath), `${basename(replicaPath, ext)}-queue${ext}`);
}

/** queue_commands' columns, in table order: the store's rows and the move out of an older file name each. */
export const QUEUE_COMMAND_COLUMNS = [
  'id',
  'arrival',
  'body',
  'created_at',
  'expires_at',
  'issued_by',
  'client',
  'accepted_at',
  'state',
  'attempts',
  'next_attempt_at',
  'sent_at',
  'last_error',
  'result',
  'finished_at',
  'discarded_at',
  'updated_at',
] as const;

/**
 * Moves the queue's rows out of the file at `oldPath` (the replica's, where earlier relays kept
 * them) into `db`, then drops the queue's tables there; returns how many commands moved. Commands
 * keep their order after any already in `db`, and their audit rows come with them. Two commits,
 * copy first: a crash between them leaves the rows in both files, and the next start copies
 * nothing twice (a command already in `db` is skipped, audit rows with it) before dropping.
 */
export function moveQueueOutOf(db: Database.Database, oldPath: string): number {
  if (!existsSync(oldPath)) return 0;
  const old = new Database(oldPath, { fileMustExist: true });
  try {
    old.pragma(`busy_timeout = ${QUEUE_BUSY_TIMEOUT_MS}`);
    if (queueSchemaVersion(old) === 0) return 0;
    // The old tables at this build's schema, so the column lists below fit both files.
    migrateQueue(old);
  } finally {
    old.close();
  }
  db.prepare('ATTACH DATABASE ? AS moving').run(oldPath);
  try {
    const moved = db
      .transaction((): number => {
        const after = (db.prepare('SELECT coalesce(max(arrival), 0) AS n FROM main.queue_commands').get() as { n: number }).n;
        const fresh = 'SELECT id FROM moving.queue_commands WHERE id NOT IN (SELECT id FROM main.queue_commands)';
        db.prepare(
          `INSERT INTO main.queue_audit (ts, command_id, client, action, detail)
           SELECT ts, command_id, client, action, detail FROM moving.queue_audit WHERE command_id IN (${fresh}) ORDER BY id`,
        ).run();
        const columns = QUEUE_COMMAND_COLUMNS.join(', ');
        const values = QUEUE_COMMAND_COLUMNS.map((c) => (c === 'arrival' ? 'arrival + ?' : c)).join(', ');
        return db
          .prepare(`INSERT INTO main.queue_commands (${columns}) SELECT ${values} FROM moving.queue_commands WHERE id IN (${fresh}) ORDER BY arrival`)
          .run(after).changes;
      })
      .immediate();
    db.transaction(() => {
      db.exec('DROP TABLE moving.queue_audit; DROP TABLE moving.queue_commands; DROP TABLE moving.queue_schema;');
    }).immediate();
    return moved;
  } finally {
    db.exec('DETACH DATABASE moving');
  }
}

/** How long a writer waits for a lock held by another connection (the replica's) before failing. */
export const QUEUE_BUSY_TIMEOUT_MS = 5000;

/**
 * FULL while the file is opened, migrated and filled from an older relay's file (each of those
 * commits on the disk when it returns). The store then takes over syncing: it runs at NORMAL and
 * does FULL's fsync of the WAL itself, off the event loop, and the relay answers 202 only once a
 * command's commit is on the disk (SqliteCommandQueueStore.durable), so a power cut cannot take
 * back an accepted command either way.
 */
export const QUEUE_SYNCHRONOUS = 'FULL';

/**
 * WAL pages before a commit also checkpoints (SQLite's default is 1,000). A checkpoint runs
 * inside whichever commit crosses the mark and adds a write and an fsync of the database file to
 * it; a command costs about 15 pages, so at the default one command in some 70 paid for one.
 * Durability does not depend on it (a commit is on disk once the WAL is synced); the
 * costs are a WAL of up to about 40 MiB and a longer replay of it after a crash (well under a
 * second), and the checkpoint, rarer, copies more pages (the same few hundred rows' worth).
 */
export const QUEUE_WAL_AUTOCHECKPOINT_PAGES = 10_000;

/** Opens (creating if needed) the relay's file for the queue: pragmas set, queue migrations applied. */
export function openQueueDatabase(path: string, migrations: readonly QueueMigration[] = QUEUE_MIGRATIONS): Database.Database {
  const db = new Database(path);
  try {
    // busy_timeout first, so that switching to WAL waits for the replica's connection.
    db.pragma(`busy_timeout = ${QUEUE_BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') throw new Error(`could not switch ${path} to WAL (journal_mode is ${String(mode)})`);
    db.pragma(`synchronous = ${QUEUE_SYNCHRONOUS}`);
    db.pragma(`wal_autocheckpoint = ${QUEUE_WAL_AUTOCHECKPOINT_PAGES}`);
    migrateQueue(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
