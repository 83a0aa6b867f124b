import { runMigrations, userVersion, type SchemaMigration } from '@boiler/service';
import type Database from 'better-sqlite3';
import { EVENTS_SCHEMA_SQL, SAMPLES_SCHEMA_SQL } from '@boiler/service';
import { MigrationError, SchemaTooNewError } from './errors.js';

/** One step of the schema (the shared runner's shape). */
export type Migration = SchemaMigration;

/**
 * The schema, in order; index i takes user_version i to i + 1. Never edit a shipped entry:
 * add a new one. The events, samples and rollup tables come from @boiler/service, which the
 * relay's replica runs too, so both answer the same queries. Enumerations (event kinds, sources)
 * are checked by zod on the way in rather than by SQL CHECKs, so that a new kind in shared/ does
 * not need a rebuild of a table holding millions of rows on an SD card.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    name: 'event log',
    up(db) {
      db.exec(`
        CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT;
        -- The highest seq ever handed out; pruning never lowers it, so a seq is never reused.
        INSERT INTO meta (key, value) VALUES ('last_event_seq', 0);
${EVENTS_SCHEMA_SQL}`);
    },
  },
  {
    name: 'samples and rollups',
    up(db) {
      db.exec(SAMPLES_SCHEMA_SQL);
    },
  },
  {
    name: 'runtime, schedules and presets',
    up(db) {
      db.exec(`
        CREATE TABLE runtime (
          scope TEXT NOT NULL CHECK (scope IN ('zone', 'system')),
          zone TEXT NOT NULL,
          state TEXT NOT NULL CHECK (json_valid(state)),
          updated_at INTEGER NOT NULL,
          PRIMARY KEY (scope, zone),
          CHECK ((scope = 'system') = (zone = ''))
        ) STRICT, WITHOUT ROWID;
        CREATE TABLE schedules (
          target TEXT PRIMARY KEY,
          schedule TEXT NOT NULL CHECK (json_valid(schedule)),
          updated_at INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE presets (
          name TEXT PRIMARY KEY,
          schedule TEXT NOT NULL CHECK (json_valid(schedule)),
          saved_at INTEGER NOT NULL
        ) STRICT;
      `);
    },
  },
  {
    name: 'commands and audit',
    up(db) {
      db.exec(`
        CREATE TABLE commands (
          id TEXT PRIMARY KEY,
          param_hash TEXT NOT NULL,
          body TEXT NOT NULL CHECK (json_valid(body)),
          outcome TEXT NOT NULL CHECK (outcome IN ('succeeded', 'failed', 'expired')),
          result TEXT NOT NULL CHECK (json_valid(result)),
          received_at INTEGER NOT NULL,
          finished_at INTEGER NOT NULL
        ) STRICT;
        CREATE INDEX commands_finished_at ON commands (finished_at);
        CREATE TABLE audit (
          id INTEGER PRIMARY KEY,
          ts INTEGER NOT NULL,
          -- Deferred, so a command's audit row may be written before its result in the same transaction.
          command_id TEXT REFERENCES commands (id) DEFERRABLE INITIALLY DEFERRED,
          actor TEXT NOT NULL,
          action TEXT NOT NULL,
          detail TEXT
        ) STRICT;
        CREATE INDEX audit_ts ON audit (ts);
        CREATE INDEX audit_command_id ON audit (command_id);
      `);
    },
  },
];

/** The schema version this build writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database's schema version (PRAGMA user_version). */
export function schemaVersion(db: Database.Database): number {
  return Number(db.pragma('user_version', { simple: true }));
}

/**
 * Brings the schema up to `migrations.length`, one transaction per migration, and refuses a
 * database from a newer build. Returns the versions before and after.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[] = MIGRATIONS,
): { from: number; to: number } {
  return runMigrations(db, migrations, userVersion(schemaVersion), {
    tooNew: (found, known) => new SchemaTooNewError(found, known),
    failed: (version, name, cause) => new MigrationError(version, name, cause),
  });
}
