// These texts are run by shipped migrations of both the agent's store and the relay's replica,
// and both databases must answer the same SQL: never edit them. A schema change is a new
// migration in each of the two lists. (The indentation is kept as it was when the agent's
// migrations held this text inline, so sqlite_schema stays byte for byte the same.)

/**
 * The event log: one row per event, keyed by its seq, with indexes on timestamp, zone and event.
 * Enumerations (event kinds, sources) are checked by zod on the way in rather than by SQL
 * CHECKs, so that a new kind in shared/ does not need a rebuild of a table holding millions of
 * rows on an SD card.
 */
export const EVENTS_SCHEMA_SQL = `
        CREATE TABLE events (
          seq INTEGER PRIMARY KEY CHECK (seq >= 1),
          ts INTEGER NOT NULL CHECK (ts >= 0),
          source TEXT NOT NULL,
          zone TEXT,
          event TEXT NOT NULL,
          room_c REAL,
          pipe_c REAL,
          outdoor_c REAL,
          duration_s INTEGER CHECK (duration_s >= 0),
          detail TEXT
        ) STRICT;
        CREATE INDEX events_ts ON events (ts);
        CREATE INDEX events_zone_seq ON events (zone, seq);
        CREATE INDEX events_event_seq ON events (event, seq);
        CREATE INDEX events_zone_event_seq ON events (zone, event, seq);
`;

/** Columns shared by every rollup tier: sums and counts (nulls not counted) plus min and max. */
function rollupTable(name: string): string {
  const reading = (col: string) =>
    `${col}_n INTEGER NOT NULL, ${col}_sum REAL NOT NULL, ${col}_min REAL, ${col}_max REAL,`;
  return `CREATE TABLE ${name} (
    zone TEXT NOT NULL,
    bucket INTEGER NOT NULL,
    n INTEGER NOT NULL,
    on_n INTEGER NOT NULL,
    ${reading('room')}
    ${reading('pipe')}
    ${reading('outdoor')}
    PRIMARY KEY (zone, bucket)
  ) STRICT, WITHOUT ROWID`;
}

/** Raw samples keyed by zone and instant, and one rollup table per tier of ROLLUP_TIERS (named literally: shipped text). */
export const SAMPLES_SCHEMA_SQL = `
        CREATE TABLE samples (
          zone TEXT NOT NULL,
          ts INTEGER NOT NULL CHECK (ts >= 0),
          room_c REAL,
          pipe_c REAL,
          outdoor_c REAL,
          output INTEGER NOT NULL CHECK (output IN (0, 1)),
          PRIMARY KEY (zone, ts)
        ) STRICT, WITHOUT ROWID;
        ${rollupTable('samples_15m')};
        ${rollupTable('samples_1h')};
        ${rollupTable('samples_1d')};
`;

/**
 * The setpoint in force, recorded with each SAMPLE event. An added column, so every row already
 * stored keeps its place and reads NULL: history from before the migration has no recorded setpoint.
 */
export const EVENTS_SETPOINT_SQL = `
        ALTER TABLE events ADD COLUMN setpoint_c REAL;
`;

/**
 * The setpoint in force with each raw sample, and in each rollup tier the last setpoint of the
 * bucket with the instant it was taken (setpoint_ts), not a sum: a setpoint holds until it
 * changes, so an average over a bucket that saw a change would draw a value never in force. Old
 * rows read NULL (nothing recorded), which history answers as a gap, not as a guess.
 */
export const SAMPLES_SETPOINT_SQL = `
        ALTER TABLE samples ADD COLUMN setpoint_c REAL;
        ALTER TABLE samples_15m ADD COLUMN setpoint_last REAL;
        ALTER TABLE samples_15m ADD COLUMN setpoint_ts INTEGER;
        ALTER TABLE samples_1h ADD COLUMN setpoint_last REAL;
        ALTER TABLE samples_1h ADD COLUMN setpoint_ts INTEGER;
        ALTER TABLE samples_1d ADD COLUMN setpoint_last REAL;
        ALTER TABLE samples_1d ADD COLUMN setpoint_ts INTEGER;
`;
