import { EventKind, MAX_EVENTS_PER_FRAME, parseUnknown, type EventEntry, type ZoneName } from '@boiler/shared';
import type Database from 'better-sqlite3';

/** The events table's columns in EventEntry's order; `SELECT ${EVENT_COLUMNS}` reads rows as EventEntry. */
export const EVENT_COLUMNS = 'seq, ts, source, zone, event, room_c, pipe_c, outdoor_c, setpoint_c, duration_s, detail';

/** Inserts one event; positional parameters in EVENT_COLUMNS order. */
export const INSERT_EVENT_SQL = `INSERT INTO events (${EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;

/** The most events one queryEvents call returns (one frame's worth). */
export const MAX_QUERY_EVENTS = MAX_EVENTS_PER_FRAME;

/** Filters of queryEvents; from/to bound `ts` as [from, to), beforeSeq pages backwards. */
export interface EventQuery {
  /** A zone, or null for site-wide events only. */
  zone?: ZoneName | null;
  event?: EventKind | readonly EventKind[];
  from?: number;
  to?: number;
  beforeSeq?: number;
  /** 1 to MAX_QUERY_EVENTS; 100 when not given. */
  limit?: number;
}

/** Throws a RangeError unless `value` is a safe integer in [min, max]. */
export function requireWholeNumber(name: string, value: number, min: number, max: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${value}`);
  }
}

/**
 * The SQL of queryEvents (newest first, every given filter applied) with its positional
 * parameters, limit last; null when the query cannot match anything (an empty list of kinds).
 * Throws RangeError for a limit outside 1 to MAX_QUERY_EVENTS and ValidationError for an unknown kind.
 */
export function eventQuerySql(query: EventQuery): { sql: string; params: (string | number)[] } | null {
  const limit = query.limit ?? 100;
  requireWholeNumber('limit', limit, 1, MAX_QUERY_EVENTS);
  const where: string[] = [];
  const params: (string | number)[] = [];
  if (query.zone === null) where.push('zone IS NULL');
  else if (query.zone !== undefined) {
    where.push('zone = ?');
    params.push(query.zone);
  }
  if (query.event !== undefined) {
    // Deduplicated, so the SQL text (and a caller's statement cache keyed by it) has few variants.
    const kinds: readonly EventKind[] = typeof query.event === 'string' ? [query.event] : [...new Set(query.event)];
    if (kinds.length === 0) return null;
    for (const k of kinds) parseUnknown(EventKind, k, 'event kind');
    where.push(`event IN (${kinds.map(() => '?').join(', ')})`);
    params.push(...kinds);
  }
  if (query.from !== undefined) {
    where.push('ts >= ?');
    params.push(query.from);
  }
  if (query.to !== undefined) {
    where.push('ts < ?');
    params.push(query.to);
  }
  if (query.beforeSeq !== undefined) {
    where.push('seq < ?');
    params.push(query.beforeSeq);
  }
  const sql =
    `SELECT ${EVENT_COLUMNS} FROM events` + (where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '') + ' ORDER BY seq DESC LIMIT ?';
  params.push(limit);
  return { sql, params };
}

/** An event's values in EVENT_COLUMNS order, for INSERT_EVENT_SQL. */
export function eventParams(
  e: EventEntry,
): [number, number, string, string | null, string, number | null, number | null, number | null, number | null, number | null, string | null] {
  return [e.seq, e.ts, e.source, e.zone, e.event, e.room_c, e.pipe_c, e.outdoor_c, e.setpoint_c ?? null, e.duration_s, e.detail];
}

/**
 * Deletes raw SAMPLE events taken before `before`, at most `maxRows`, oldest first, never one at
 * or above `keepFromSeq` (the agent keeps its outbox window whole). Other kinds stay: ON/OFF,
 * ALERT and COMMAND are the log's history, kept by their own, longer retention. Returns how many
 * went and the highest seq deleted (null when none), below which the log has holes. `stmt`
 * prepares (or returns a cached) statement on the log's database; call inside a transaction.
 */
export function pruneSampleEvents(
  stmt: (sql: string) => Database.Statement,
  before: number,
  maxRows: number,
  keepFromSeq: number,
): { removed: number; through: number | null } {
  requireWholeNumber('before', before, 0, Number.MAX_SAFE_INTEGER);
  requireWholeNumber('maxRows', maxRows, 1, Number.MAX_SAFE_INTEGER);
  // The first event at or after the cutoff by time (events_ts), so the delete below is a range of
  // events_event_seq rather than a scan; `ts < before` still guards rows a clock jump misordered.
  const first = stmt('SELECT seq FROM events WHERE ts >= ? ORDER BY ts LIMIT 1').get(before) as { seq: number } | undefined;
  const below = Math.min(first?.seq ?? Number.MAX_SAFE_INTEGER, keepFromSeq);
  if (below <= 1) return { removed: 0, through: null };
  const doomed = stmt(`SELECT seq FROM events WHERE event = 'SAMPLE' AND seq < ? AND ts < ? ORDER BY seq LIMIT ?`)
    .pluck()
    .all(below, before, maxRows) as number[];
  if (doomed.length === 0) return { removed: 0, through: null };
  const through = doomed[doomed.length - 1] as number;
  const removed = stmt(`DELETE FROM events WHERE event = 'SAMPLE' AND seq >= ? AND seq <= ? AND ts < ?`).run(doomed[0] as number, through, before).changes;
  return { removed, through };
}
