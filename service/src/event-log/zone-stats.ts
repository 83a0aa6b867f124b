import { siteDays, type ZoneDayStats, type ZoneStatsReply, type ZoneStatsTotals } from '@boiler/shared';
import type Database from 'better-sqlite3';
import { StatementCache } from '../sqlite.js';

// Per-day statistics of one zone, from its ON/OFF events, in SQL on the events table the agent's
// store and the relay's replica share (schema.ts), so both answer alike.
//
// A run is an ON period of the zone's output: from an ON event to the next OFF event of the zone,
// in time order (a repeated ON or OFF, as after a lost state, changes nothing). An OFF logged at a
// restart carries the run's real length in duration_s while its ts is the restart; when the two
// disagree by more than a second the run ends at ON + duration_s. A run with no OFF before the end
// of what was observed is still on and counts up to that end.

/** The zone's switches from `since`, each run with its start, its end (null: still on) and what drove it. */
const RUNS_CTE = `
  switches AS (
    SELECT seq, ts, event, source, duration_s, LAG(event) OVER (ORDER BY ts, seq) AS before
    FROM events
    WHERE zone = :zone AND event IN ('ON', 'OFF') AND ts >= :since AND ts < :until
  ),
  edges AS (
    SELECT ts, event, source,
      LEAD(ts) OVER (ORDER BY ts, seq) AS next_ts,
      LEAD(duration_s) OVER (ORDER BY ts, seq) AS next_duration_s
    FROM switches
    WHERE before IS NULL OR before <> event
  ),
  runs AS (
    SELECT ts AS start, source,
      CASE
        WHEN next_ts IS NULL THEN NULL
        WHEN next_duration_s IS NOT NULL AND ts + next_duration_s * 1000 < next_ts - 1000 THEN ts + next_duration_s * 1000
        ELSE next_ts
      END AS stop
    FROM edges
    WHERE event = 'ON'
  )`;

/**
 * One row per stretch (given as a JSON array of [lo, hi) pairs): the runs that touch it, the
 * on-time inside it, and the calls and short cycles that began in it. Runs are disjoint and in
 * order, so each stretch is the difference of running totals at its two ends: at an instant b,
 * over the runs begun before it, how many, their calls and short cycles, and their on-time less
 * what the last of them still runs past b. One sort of runs and ends together, however long the
 * window. A run touches a stretch when it begins inside it (even with no length) or runs across
 * its start.
 */
const DAYS_SQL = `
  WITH
  days (i, lo, hi) AS (
    SELECT CAST(key AS INTEGER), json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(:days)
  ),
  ${RUNS_CTE},
  timeline (t, k, i, side, n, call, short, len, ct) AS (
    SELECT lo, 0, i, 0, 0, 0, 0, 0, NULL FROM days
    UNION ALL
    SELECT hi, 0, i, 1, 0, 0, 0, 0, NULL FROM days
    UNION ALL
    SELECT start, 1, NULL, NULL, 1,
      source <> 'safety',
      stop IS NOT NULL AND stop - start < :short_ms,
      COALESCE(stop, :until) - start,
      COALESCE(stop, :until)
    FROM runs
  ),
  -- An end sorts before a run beginning at the same instant: totals at b count runs begun before b.
  upto AS (
    SELECT i, side,
      SUM(n) OVER w AS n,
      SUM(call) OVER w AS calls,
      SUM(short) OVER w AS shorts,
      SUM(len) OVER w - MAX(0, COALESCE(MAX(ct) OVER w, t) - t) AS on_ms,
      COALESCE(MAX(ct) OVER w, t) > t AS running
    FROM timeline
    WINDOW w AS (ORDER BY t, k ROWS UNBOUNDED PRECEDING)
  )
  SELECT i,
    SUM(CASE side WHEN 1 THEN n ELSE running - n END) AS runs,
    SUM(CASE side WHEN 1 THEN on_ms ELSE -on_ms END) AS run_ms,
    SUM(CASE side WHEN 1 THEN calls ELSE -calls END) AS calls,
    SUM(CASE side WHEN 1 THEN shorts ELSE -shorts END) AS short_cycles
  FROM upto
  WHERE i IS NOT NULL
  GROUP BY i
  ORDER BY i`;

/** The start of a run still on at the end of what was observed, if there is one. */
const OPEN_RUN_SQL = `WITH ${RUNS_CTE} SELECT start FROM runs WHERE stop IS NULL ORDER BY start DESC LIMIT 1`;

/**
 * Where the runs' scan begins: the zone's last OFF before the window, so a run on at its start is
 * read from its first ON (a repeated ON after it changes nothing); without one, the log's start.
 */
const LAST_OFF_BEFORE_SQL = `SELECT ts FROM events WHERE zone = ? AND event = 'OFF' AND ts < ? ORDER BY ts DESC, seq DESC LIMIT 1`;

interface DayRow {
  i: number;
  runs: number;
  run_ms: number;
  calls: number;
  short_cycles: number;
}

/** What a stats query needs besides the database: the window, the site's calendar and how far data reaches. */
export interface ZoneStatsRequest {
  zone: string;
  from: number;
  to: number;
  timeZone: string;
  /** Runs shorter than this (ms) that ended are short cycles. */
  shortCycleMs: number;
  /** The latest instant the database speaks for (the agent's now; the newest event the replica holds); null: none. */
  knownUntil: number | null;
}

/** Per-day statistics of a zone over the events table of one database (the agent's or the replica's). */
export class ZoneStatsLog {
  private readonly statements: StatementCache;

  constructor(db: Database.Database) {
    this.statements = new StatementCache(db);
  }

  private stmt(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  /** The instant of the oldest event held, or null when there is none: before it the database knows nothing. */
  firstEventTs(): number | null {
    return (this.stmt('SELECT min(ts) AS ts FROM events').get() as { ts: number | null }).ts;
  }

  /** The instant of the newest event held, or null when there is none. */
  lastEventTs(): number | null {
    return (this.stmt('SELECT max(ts) AS ts FROM events').get() as { ts: number | null }).ts;
  }

  /** The zone's statistics per site day of [from, to); days outside what was observed count nothing. */
  zoneStats(req: ZoneStatsRequest): ZoneStatsReply {
    const first = this.firstEventTs();
    const obsFrom = first === null ? req.to : Math.max(req.from, first);
    const obsTo = req.knownUntil === null ? req.from : Math.max(req.from, Math.min(req.to, req.knownUntil));
    const days = siteDays(req.from, req.to, req.timeZone).map((d) => ({ ...d, lo: Math.max(d.start, obsFrom), hi: Math.min(d.end, obsTo) }));
    const observed = days.map((d, i) => ({ i, lo: d.lo, hi: d.hi })).filter((d) => d.lo < d.hi);

    const rows = new Map<number, DayRow>();
    let whole: DayRow | undefined;
    let openRun: { since: number } | null = null;
    if (observed.length > 0 && obsFrom < obsTo) {
      const lastOff = this.stmt(LAST_OFF_BEFORE_SQL).get(req.zone, obsFrom) as { ts: number } | undefined;
      const params = { zone: req.zone, since: lastOff?.ts ?? 0, until: obsTo };
      // The whole window goes in as one more stretch, so a run over midnight counts once in the totals.
      const stretches = [...observed.map((d) => [d.lo, d.hi]), [obsFrom, obsTo]];
      const dayParams = { ...params, days: JSON.stringify(stretches), short_ms: req.shortCycleMs };
      for (const row of this.stmt(DAYS_SQL).all(dayParams) as DayRow[]) {
        const day = observed[row.i];
        if (day !== undefined) rows.set(day.i, row);
        else whole = row;
      }
      const open = this.stmt(OPEN_RUN_SQL).get(params) as { start: number } | undefined;
      if (open !== undefined) openRun = { since: open.start };
    }

    const perDay: ZoneDayStats[] = days.map((d, i) => {
      const row = rows.get(i);
      const observedMs = Math.max(0, d.hi - d.lo);
      return { date: d.date, start: d.start, end: d.end, ...activity(observedMs, row) };
    });
    const observedTotal = days.reduce((n, d) => n + Math.max(0, d.hi - d.lo), 0);
    return {
      zone: req.zone,
      from: req.from,
      to: req.to,
      time_zone: req.timeZone,
      short_cycle_s: Math.round(req.shortCycleMs / 1000),
      observed_until: obsTo,
      open_run: openRun,
      days: perDay,
      totals: activity(observedTotal, whole),
    };
  }
}

function activity(observedMs: number, row: DayRow | undefined): ZoneStatsTotals {
  const runs = row?.runs ?? 0;
  const runMs = row?.run_ms ?? 0;
  return {
    observed_s: Math.round(observedMs / 1000),
    calls: row?.calls ?? 0,
    runs,
    run_s: Math.round(runMs / 1000),
    avg_run_s: runs === 0 ? null : Math.round(runMs / runs / 1000),
    duty: observedMs === 0 ? null : Math.min(1, runMs / observedMs),
    short_cycles: row?.short_cycles ?? 0,
  };
}
