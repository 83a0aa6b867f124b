import { runMigrations, userVersion, type SchemaMigration } from '@boiler/service';
import type Database from 'better-sqlite3';
import { EVENTS_SCHEMA_SQL, EVENTS_SETPOINT_SQL, SAMPLES_SCHEMA_SQL, SAMPLES_SETPOINT_SQL } from '@boiler/service';
import { salvageSettings } from '../control/state-upgrades.js';
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
  {
    name: 'schedules and presets out of the saved state',
    up(db) {
      moveSettingsOutOfSavedState(db);
    },
  },
  {
    // Added columns: the rows already kept stay as they are, with no setpoint recorded (NULL).
    name: 'setpoint with each sample',
    up(db) {
      db.exec(EVENTS_SETPOINT_SQL + SAMPLES_SETPOINT_SQL);
    },
  },
];

/**
 * Migration 5: the owner's schedules and presets move from the saved engine state (every state
 * version before 5 holds them) into their tables, which are their one home from then on; the state
 * upgrade 4 -> 5 drops them from the saved state when the agent next loads it. Each schedule and
 * preset is parsed on its own (salvageSettings), so a damaged state loses only what does not parse
 * and a row that is not JSON at all moves nothing: a migration that threw would stop the agent
 * from starting. A zone that followed the default gets a null row, so it keeps doing so rather
 * than taking the config's schedule back.
 */
function moveSettingsOutOfSavedState(db: Database.Database): void {
  const row = db.prepare(`SELECT state, updated_at FROM runtime WHERE scope = 'system'`).get() as { state: string; updated_at: number } | undefined;
  if (row === undefined) return;
  let saved: unknown;
  try {
    saved = JSON.parse(row.state);
  } catch {
    return;
  }
  const settings = salvageSettings(saved);
  const schedule = db.prepare(
    `INSERT INTO schedules (target, schedule, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (target) DO UPDATE SET schedule = excluded.schedule, updated_at = excluded.updated_at`,
  );
  // The default's key is no zone name (ZoneName refuses parentheses), so no zone can take its row.
  if (settings.default_schedule !== null) schedule.run('(default)', JSON.stringify(settings.default_schedule), row.updated_at);
  for (const [zone, week] of settings.zone_schedules) schedule.run(zone, JSON.stringify(week), row.updated_at);
  const preset = db.prepare(
    `INSERT INTO presets (name, schedule, saved_at) VALUES (?, ?, ?)
     ON CONFLICT (name) DO UPDATE SET schedule = excluded.schedule, saved_at = excluded.saved_at`,
  );
  for (const p of settings.presets) preset.run(p.name, JSON.stringify(p.schedule), p.saved_at);
}

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
