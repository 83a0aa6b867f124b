import { StatementCache } from '../sqlite.js';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { Celsius, EpochMs, ZoneName, type EventEntry, type HistoryPoint } from '@boiler/shared';
import { requireWholeNumber } from './events.js';
import {
  MAX_HISTORY_POINTS,
  ROLLUP_TIERS,
  FINEST_TIER,
  historyPoints,
  historySegments,
  historySql,
  planHistory,
  type HistoryRow,
  type RollupTable,
  type RollupTier,
} from './history.js';

/** One reading of a zone, taken by the sampler (typically once a minute). */
export const Sample = z.strictObject({
  zone: ZoneName,
  ts: EpochMs,
  room_c: Celsius.nullable(),
  pipe_c: Celsius.nullable(),
  outdoor_c: Celsius.nullable(),
  /** Whether the zone's output was energised. */
  output: z.boolean(),
  /** The setpoint in force (EventEntry's setpoint_c); absent or null: none (an on/off zone, a mode without one). */
  setpoint_c: Celsius.nullable().exactOptional(),
});
export type Sample = z.infer<typeof Sample>;

/** The `detail` of a SAMPLE event says whether the output was on, so a replica can compute duty too. */
export const SAMPLE_DETAIL = { on: 'on', off: 'off' } as const;

/** The SAMPLE event the agent logs for a stored sample (without its seq, which the log gives). */
export function sampleEvent(s: Sample): Omit<EventEntry, 'seq'> {
  return {
    ts: s.ts,
    source: 'sampler',
    zone: s.zone,
    event: 'SAMPLE',
    room_c: s.room_c,
    pipe_c: s.pipe_c,
    outdoor_c: s.outdoor_c,
    setpoint_c: s.setpoint_c ?? null,
    duration_s: null,
    detail: s.output ? SAMPLE_DETAIL.on : SAMPLE_DETAIL.off,
  };
}

/**
 * The sample a SAMPLE event carries; null for any other event, and for a SAMPLE event without a
 * zone or whose detail is neither 'on' nor 'off' (not one sampleEvent wrote).
 */
export function sampleFromEvent(e: EventEntry): Sample | null {
  if (e.event !== 'SAMPLE' || e.zone === null) return null;
  if (e.detail !== SAMPLE_DETAIL.on && e.detail !== SAMPLE_DETAIL.off) return null;
  return {
    zone: e.zone,
    ts: e.ts,
    room_c: e.room_c,
    pipe_c: e.pipe_c,
    outdoor_c: e.outdoor_c,
    output: e.detail === SAMPLE_DETAIL.on,
    setpoint_c: e.setpoint_c ?? null,
  };
}

/** What a batch of samples adds to one rollup bucket; `row` binds to rollupUpsertSql's parameters. */
export interface RollupDelta {
  table: RollupTable;
  row: {
    zone: string;
    bucket: number;
    n: number;
    on_n: number;
    room_n: number;
    room_sum: number;
    room_min: number | null;
    room_max: number | null;
    pipe_n: number;
    pipe_sum: number;
    pipe_min: number | null;
    pipe_max: number | null;
    outdoor_n: number;
    outdoor_sum: number;
    outdoor_min: number | null;
    outdoor_max: number | null;
    /** The setpoint of the bucket's latest sample that had one, and that sample's instant; null: none had. */
    setpoint_last: number | null;
    setpoint_ts: number | null;
  };
}

function emptyDelta(table: RollupTable, zone: string, bucket: number): RollupDelta {
  return {
    table,
    row: {
      zone,
      bucket,
      n: 0,
      on_n: 0,
      room_n: 0,
      room_sum: 0,
      room_min: null,
      room_max: null,
      pipe_n: 0,
      pipe_sum: 0,
      pipe_min: null,
      pipe_max: null,
      outdoor_n: 0,
      outdoor_sum: 0,
      outdoor_min: null,
      outdoor_max: null,
      setpoint_last: null,
      setpoint_ts: null,
    },
  };
}

function addToDelta(delta: RollupDelta, s: Sample): void {
  const r = delta.row;
  r.n += 1;
  if (s.output) r.on_n += 1;
  if (s.room_c !== null) {
    r.room_n += 1;
    r.room_sum += s.room_c;
    r.room_min = r.room_min === null ? s.room_c : Math.min(r.room_min, s.room_c);
    r.room_max = r.room_max === null ? s.room_c : Math.max(r.room_max, s.room_c);
  }
  if (s.pipe_c !== null) {
    r.pipe_n += 1;
    r.pipe_sum += s.pipe_c;
    r.pipe_min = r.pipe_min === null ? s.pipe_c : Math.min(r.pipe_min, s.pipe_c);
    r.pipe_max = r.pipe_max === null ? s.pipe_c : Math.max(r.pipe_max, s.pipe_c);
  }
  if (s.outdoor_c !== null) {
    r.outdoor_n += 1;
    r.outdoor_sum += s.outdoor_c;
    r.outdoor_min = r.outdoor_min === null ? s.outdoor_c : Math.min(r.outdoor_min, s.outdoor_c);
    r.outdoor_max = r.outdoor_max === null ? s.outdoor_c : Math.max(r.outdoor_max, s.outdoor_c);
  }
  const setpoint = s.setpoint_c ?? null;
  // The latest by time, not by arrival: equal instants keep the later arrival, as the upsert does.
  if (setpoint !== null && (r.setpoint_ts === null || s.ts >= r.setpoint_ts)) {
    r.setpoint_last = setpoint;
    r.setpoint_ts = s.ts;
  }
}

/**
 * Sums samples per rollup bucket of every tier, so a batch costs one upsert per bucket and tier
 * rather than one per sample. A zone's samples come in time order, so most fall in the bucket of
 * the zone's previous one and need no lookup by key.
 */
export function rollupDeltas(samples: readonly Sample[]): RollupDelta[] {
  const deltas: RollupDelta[] = [];
  for (const tier of ROLLUP_TIERS) {
    const byKey = new Map<string, RollupDelta>();
    const lastOfZone = new Map<string, RollupDelta>();
    for (const s of samples) {
      const bucket = Math.floor(s.ts / tier.ms) * tier.ms;
      let delta = lastOfZone.get(s.zone);
      if (delta === undefined || delta.row.bucket !== bucket) {
        const key = `${s.zone}\u0000${bucket}`;
        delta = byKey.get(key);
        if (delta === undefined) {
          delta = emptyDelta(tier.table, s.zone, bucket);
          byKey.set(key, delta);
          deltas.push(delta);
        }
        lastOfZone.set(s.zone, delta);
      }
      addToDelta(delta, s);
    }
  }
  return deltas;
}

/** A rollup row's columns, in the order of the upsert's parameters. */
const ROLLUP_COLUMNS = (() => {
  const cols = (c: string) => [`${c}_n`, `${c}_sum`, `${c}_min`, `${c}_max`];
  return ['zone', 'bucket', 'n', 'on_n', ...cols('room'), ...cols('pipe'), ...cols('outdoor'), 'setpoint_last', 'setpoint_ts'] as (keyof RollupDelta['row'])[];
})();

function upsertSql(table: RollupTable, parameter: (column: string) => string): string {
  const merge = (c: string) => [
    `${c}_n = ${c}_n + excluded.${c}_n`,
    `${c}_sum = ${c}_sum + excluded.${c}_sum`,
    // SQLite's two-argument min/max return NULL if either is NULL; a missing reading must not erase one.
    `${c}_min = min(coalesce(${c}_min, excluded.${c}_min), coalesce(excluded.${c}_min, ${c}_min))`,
    `${c}_max = max(coalesce(${c}_max, excluded.${c}_max), coalesce(excluded.${c}_max, ${c}_max))`,
  ];
  // The bucket's setpoint is the one taken latest; every right-hand side reads the row as it was.
  const newer = 'excluded.setpoint_ts IS NOT NULL AND (setpoint_ts IS NULL OR excluded.setpoint_ts >= setpoint_ts)';
  return `INSERT INTO ${table} (${ROLLUP_COLUMNS.join(', ')})
    VALUES (${ROLLUP_COLUMNS.map(parameter).join(', ')})
    ON CONFLICT (zone, bucket) DO UPDATE SET
      n = n + excluded.n, on_n = on_n + excluded.on_n,
      ${[...merge('room'), ...merge('pipe'), ...merge('outdoor')].join(',\n      ')},
      setpoint_last = CASE WHEN ${newer} THEN excluded.setpoint_last ELSE setpoint_last END,
      setpoint_ts = CASE WHEN ${newer} THEN excluded.setpoint_ts ELSE setpoint_ts END`;
}

/** The upsert that adds a RollupDelta's row (named parameters) to its bucket in `table`. */
export function rollupUpsertSql(table: RollupTable): string {
  return upsertSql(table, (c) => `@${c}`);
}

/** Each tier's upsert with positional parameters in ROLLUP_COLUMNS order (cheaper to bind), built once. */
const POSITIONAL_UPSERT_SQL = new Map(ROLLUP_TIERS.map((tier) => [tier.table, upsertSql(tier.table, () => '?')]));

const INSERT_SAMPLE_SQL = `INSERT INTO samples (zone, ts, room_c, pipe_c, outdoor_c, output, setpoint_c)
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`;

/**
 * The samples table and its rollup tiers on one database (created by SAMPLES_SCHEMA_SQL): how
 * both the agent's store and the relay's replica write samples and answer history queries.
 * Statements are prepared once per instance.
 */
export class SampleLog {
  private readonly statements: StatementCache;

  constructor(private readonly db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  private stmt(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  /**
   * Stores samples (already validated) and adds them to every rollup tier, all or nothing (a
   * savepoint inside the caller's transaction). A sample for a zone and instant already stored
   * is ignored, so it is never counted twice. Returns the samples stored, in input order.
   */
  record(samples: readonly Sample[]): Sample[] {
    if (samples.length === 0) return [];
    return this.db.transaction(() => {
      const insert = this.stmt(INSERT_SAMPLE_SQL);
      const stored = samples.filter((s) => insert.run(s.zone, s.ts, s.room_c, s.pipe_c, s.outdoor_c, s.output ? 1 : 0, s.setpoint_c ?? null).changes > 0);
      for (const delta of rollupDeltas(stored)) {
        const row = delta.row;
        this.stmt(POSITIONAL_UPSERT_SQL.get(delta.table) as string).run(ROLLUP_COLUMNS.map((c) => row[c]));
      }
      return stored;
    })();
  }

  /**
   * Deletes raw samples taken before `before`, at most `maxRows` (oldest first in each zone), and
   * returns how many went. Rollups are left alone: history over a pruned range is answered from
   * them. Zones are found through the daily rollup (a few rows per zone and day) and each zone's
   * oldest rows through the primary key, so a call costs its batch, not a scan of the table.
   */
  pruneRaw(before: number, maxRows: number): number {
    requireWholeNumber('before', before, 0, Number.MAX_SAFE_INTEGER);
    requireWholeNumber('maxRows', maxRows, 1, Number.MAX_SAFE_INTEGER);
    return this.db.transaction(() => {
      const zones = this.stmt('SELECT DISTINCT zone FROM samples_1d WHERE bucket < ?').pluck().all(before) as string[];
      const remove = this.stmt(
        'DELETE FROM samples WHERE zone = @zone AND ts IN (SELECT ts FROM samples WHERE zone = @zone AND ts < @before ORDER BY ts LIMIT @limit)',
      );
      let removed = 0;
      for (const zone of zones) {
        if (removed >= maxRows) break;
        removed += remove.run({ zone, before, limit: maxRows - removed }).changes;
      }
      return removed;
    })();
  }

  /**
   * Deletes buckets of the finest rollup tier (15 minutes) that start before `before`, at most
   * `maxRows`, oldest first in each zone, and returns how many went. The hourly and daily tiers
   * are kept for good: history over a range older than this is answered from them.
   */
  pruneFinestRollup(before: number, maxRows: number): number {
    requireWholeNumber('before', before, 0, Number.MAX_SAFE_INTEGER);
    requireWholeNumber('maxRows', maxRows, 1, Number.MAX_SAFE_INTEGER);
    const table = FINEST_TIER.table;
    return this.db.transaction(() => {
      const zones = this.stmt('SELECT DISTINCT zone FROM samples_1d WHERE bucket < ?').pluck().all(before) as string[];
      const remove = this.stmt(
        `DELETE FROM ${table} WHERE zone = @zone AND bucket IN (SELECT bucket FROM ${table} WHERE zone = @zone AND bucket < @before ORDER BY bucket LIMIT @limit)`,
      );
      let removed = 0;
      for (const zone of zones) {
        if (removed >= maxRows) break;
        removed += remove.run({ zone, before, limit: maxRows - removed }).changes;
      }
      return removed;
    })();
  }

  /**
   * A zone's history over [from, to) in at most `points` points (1 to MAX_HISTORY_POINTS),
   * oldest first, averaged in SQL from the coarsest rollup tier that fits one point. A point's
   * ts is the start of its bucket (the first is clamped to `from`); buckets with no samples are
   * left out; duty is the fraction of samples with the output on.
   */
  history(zone: ZoneName, from: number, to: number, points: number): HistoryPoint[] {
    requireWholeNumber('points', points, 1, MAX_HISTORY_POINTS);
    requireWholeNumber('from', from, 0, Number.MAX_SAFE_INTEGER);
    requireWholeNumber('to', to, 0, Number.MAX_SAFE_INTEGER);
    if (from >= to) return [];
    let lo = from;
    let plan = planHistory(from, to, points);
    const kept = this.finestKept(zone, from, to);
    if (kept !== null) {
      // The start of the range was pruned (raw samples past SAMPLE_RETENTION_DAYS, the finest
      // tier past DETAIL_RETENTION_MS): it is answered from whole buckets of the finest tier
      // still kept there at least, from the bucket `from` falls in.
      lo = Math.floor(from / kept.ms) * kept.ms;
      plan = planHistory(lo, to, points);
      if (plan.tier === null || plan.tier.ms < kept.ms) {
        plan = { tier: kept, origin: lo, width: Math.max(kept.ms, Math.ceil((to - lo) / points / kept.ms) * kept.ms) };
      }
    }
    const { sql, params } = historySql(zone, plan, historySegments(lo, to, plan));
    return historyPoints(this.stmt(sql).all(...params) as HistoryRow[], plan, from);
  }

  /**
   * The finest tier that holds the start of [from, to) for the zone, or null when raw samples
   * do: a source counts as pruned there when a coarser tier holds buckets before the source's
   * oldest row.
   */
  private finestKept(zone: string, from: number, to: number): RollupTier | null {
    let kept: RollupTier | null = null;
    let source: { table: string; column: string } = { table: 'samples', column: 'ts' };
    for (const [i, tier] of ROLLUP_TIERS.entries()) {
      if (!this.prunedBefore(zone, from, to, source, ROLLUP_TIERS.slice(i))) return kept;
      kept = tier;
      source = { table: tier.table, column: 'bucket' };
    }
    return kept;
  }

  /** Whether any of `coarser` holds buckets of the zone in [from, to) before the oldest row of `source`. */
  private prunedBefore(zone: string, from: number, to: number, source: { table: string; column: string }, coarser: readonly RollupTier[]): boolean {
    const oldest = (this.stmt(`SELECT min(${source.column}) AS ts FROM ${source.table} WHERE zone = ?`).get(zone) as { ts: number | null }).ts;
    return coarser.some((tier) => {
      const rawFrom = Math.min(to, oldest === null ? to : Math.floor(oldest / tier.ms) * tier.ms);
      const start = Math.floor(from / tier.ms) * tier.ms;
      if (rawFrom <= start) return false;
      return this.stmt(`SELECT 1 FROM ${tier.table} WHERE zone = ? AND bucket >= ? AND bucket < ? LIMIT 1`).get(zone, start, rawFrom) !== undefined;
    });
  }

}
