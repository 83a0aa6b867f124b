import type { HistoryPoint } from '@boiler/shared';

/** A rollup tier: a table of per-zone sums, counts, min and max over buckets of `ms`. */
export interface RollupTier {
  readonly table: 'samples_15m' | 'samples_1h' | 'samples_1d';
  readonly ms: number;
}

/** The name of a rollup tier's table. */
export type RollupTable = RollupTier['table'];

/**
 * The rollup tiers, finest first. Each bucket size divides the next and buckets start at
 * multiples of their size since the epoch (UTC), so a coarser bucket is exactly a run of finer ones.
 */
export const ROLLUP_TIERS: readonly RollupTier[] = [
  { table: 'samples_15m', ms: 15 * 60_000 },
  { table: 'samples_1h', ms: 60 * 60_000 },
  { table: 'samples_1d', ms: 24 * 60 * 60_000 },
];

/** The finest rollup tier: the one pruned past DETAIL_RETENTION_MS. */
export const FINEST_TIER = ROLLUP_TIERS[0] as RollupTier;

/**
 * How long events of every kind and the finest rollup tier are kept, on the agent and on the
 * replica: a year of detail (this winter beside the last one). Raw samples go much sooner
 * (SAMPLE_RETENTION_DAYS); the hourly and daily tiers are kept for good (about 80 KiB per zone and
 * month), so past this window neither database grows but for them.
 */
export const DETAIL_RETENTION_MS = 365 * 24 * 3600_000;

/** The most points a history query may ask for. */
export const MAX_HISTORY_POINTS = 2000;

/** How a history query groups [from, to) into output buckets. */
export interface HistoryPlan {
  /** The coarsest tier whose bucket fits inside one output bucket; null: raw samples only. */
  readonly tier: RollupTier | null;
  /** Start of output bucket 0, aligned to the tier (at or before `from`). */
  readonly origin: number;
  /** Output bucket width in ms, a whole number of tier buckets. */
  readonly width: number;
}

/** Picks the tier and the output bucket grid; never more than `points` buckets fall in [from, to). */
export function planHistory(from: number, to: number, points: number, tiers: readonly RollupTier[] = ROLLUP_TIERS): HistoryPlan {
  const ideal = (to - from) / points;
  let tier: RollupTier | null = null;
  for (const t of tiers) if (t.ms <= ideal) tier = t;
  const unit = tier?.ms ?? 1;
  const origin = Math.floor(from / unit) * unit;
  const width = Math.max(unit, Math.ceil((to - origin) / points / unit) * unit);
  return { tier, origin, width };
}

/** One piece of [from, to): read from a rollup tier (whole buckets) or from raw samples. */
export interface HistorySegment {
  readonly source: RollupTier | 'raw';
  readonly lo: number;
  readonly hi: number;
}

/**
 * Splits [from, to) into whole buckets of the plan's tier, then the ragged edges into whole
 * buckets of the finer tiers, and what is left into raw samples. The result is exact: every
 * sample in [from, to) is counted once and none outside it.
 */
export function historySegments(
  from: number,
  to: number,
  plan: HistoryPlan,
  tiers: readonly RollupTier[] = ROLLUP_TIERS,
): HistorySegment[] {
  const usable = plan.tier === null ? [] : tiers.slice(0, tiers.indexOf(plan.tier) + 1);
  const cover = (lo: number, hi: number, level: number): HistorySegment[] => {
    if (lo >= hi) return [];
    const tier = usable[level];
    if (tier === undefined) return [{ source: 'raw', lo, hi }];
    const a = Math.ceil(lo / tier.ms) * tier.ms;
    const b = Math.floor(hi / tier.ms) * tier.ms;
    if (a >= b) return cover(lo, hi, level - 1);
    return [...cover(lo, a, level - 1), { source: tier, lo: a, hi: b }, ...cover(b, hi, level - 1)];
  };
  return cover(from, to, usable.length - 1);
}

const SUM_COLUMNS = 'n, on_n, room_n, room_sum, pipe_n, pipe_sum, outdoor_n, outdoor_sum, setpoint_last, setpoint_ts';
// A raw sample read as a rollup bucket of one; named like the rollup columns because the
// first arm of a UNION names the result's columns.
const RAW_COLUMNS =
  '1 AS n, output AS on_n, ' +
  'room_c IS NOT NULL AS room_n, coalesce(room_c, 0) AS room_sum, ' +
  'pipe_c IS NOT NULL AS pipe_n, coalesce(pipe_c, 0) AS pipe_sum, ' +
  'outdoor_c IS NOT NULL AS outdoor_n, coalesce(outdoor_c, 0) AS outdoor_sum, ' +
  'setpoint_c AS setpoint_last, CASE WHEN setpoint_c IS NULL THEN NULL ELSE ts END AS setpoint_ts';

/** The SQL and positional parameters of a history query over the given segments. */
export function historySql(
  zone: string,
  plan: HistoryPlan,
  segments: readonly HistorySegment[],
): { sql: string; params: (string | number)[] } {
  const arms: string[] = [];
  const params: (string | number)[] = [plan.origin, plan.width];
  for (const s of segments) {
    arms.push(
      s.source === 'raw'
        ? `SELECT ts AS b, ${RAW_COLUMNS} FROM samples WHERE zone = ? AND ts >= ? AND ts < ?`
        : `SELECT bucket AS b, ${SUM_COLUMNS} FROM ${s.source.table} WHERE zone = ? AND bucket >= ? AND bucket < ?`,
    );
    params.push(zone, s.lo, s.hi);
  }
  if (arms.length === 0) arms.push(`SELECT 0 AS b, ${RAW_COLUMNS} FROM samples WHERE 0`);
  // better-sqlite3 binds every JS number as REAL, so the grid is cast for integer division.
  // The setpoint is the bucket's last one, not an average (see SAMPLES_SETPOINT_SQL): max() is the
  // query's only min/max aggregate, so SQLite takes the bare setpoint_last from the row holding
  // max(setpoint_ts); with no setpoint in the bucket every row's is NULL and so is the answer.
  const sql = `SELECT (b - CAST(? AS INTEGER)) / CAST(? AS INTEGER) AS k, sum(n) AS n, sum(on_n) AS on_n,
      sum(room_n) AS room_n, sum(room_sum) AS room_sum,
      sum(pipe_n) AS pipe_n, sum(pipe_sum) AS pipe_sum,
      sum(outdoor_n) AS outdoor_n, sum(outdoor_sum) AS outdoor_sum,
      max(setpoint_ts) AS setpoint_ts, setpoint_last
    FROM (${arms.join('\n      UNION ALL\n      ')})
    GROUP BY k ORDER BY k`;
  return { sql, params };
}

/** One row of historySql's result: an output bucket's index on the plan's grid, with its sums and counts. */
export interface HistoryRow {
  k: number;
  n: number;
  on_n: number;
  room_n: number;
  room_sum: number;
  pipe_n: number;
  pipe_sum: number;
  outdoor_n: number;
  outdoor_sum: number;
  /** The setpoint of the bucket's latest sample that had one; null: none had. */
  setpoint_last: number | null;
}

/** Turns historySql's rows into points: averages, duty, and the first point's ts clamped to `from`. */
export function historyPoints(rows: readonly HistoryRow[], plan: HistoryPlan, from: number): HistoryPoint[] {
  return rows.map((r) => ({
    ts: Math.max(from, plan.origin + r.k * plan.width),
    room_c: r.room_n > 0 ? r.room_sum / r.room_n : null,
    pipe_c: r.pipe_n > 0 ? r.pipe_sum / r.pipe_n : null,
    outdoor_c: r.outdoor_n > 0 ? r.outdoor_sum / r.outdoor_n : null,
    setpoint_c: r.setpoint_last,
    duty: r.n > 0 ? r.on_n / r.n : null,
  }));
}
