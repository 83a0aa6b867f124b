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
