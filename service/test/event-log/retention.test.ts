import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EventEntry } from '@boiler/shared';
import {
  EVENTS_SCHEMA_SQL,
  EVENTS_SETPOINT_SQL,
  INSERT_EVENT_SQL,
  SAMPLES_SCHEMA_SQL,
  SAMPLES_SETPOINT_SQL,
  SampleLog,
  StatementCache,
  eventParams,
  pruneSampleEvents,
  sampleEvent,
  type Sample,
} from '../../src/index.js';

const T0 = Date.UTC(2025, 0, 6);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ZONES = ['Z1', 'Z2', 'hot_water'] as const;

let db: Database.Database;
let log: SampleLog;
let statements: StatementCache;
beforeEach(() => {
  db = new Database(':memory:');
  db.exec(EVENTS_SCHEMA_SQL + EVENTS_SETPOINT_SQL);
  db.exec(SAMPLES_SCHEMA_SQL + SAMPLES_SETPOINT_SQL);
  log = new SampleLog(db);
  statements = new StatementCache(db);
});
afterEach(() => db.close());

/** `days` of one sample every 10 minutes per zone, each logged as a SAMPLE event, with an ON event every hour. */
function fill(days: number): EventEntry[] {
  const insert = db.prepare(INSERT_EVENT_SQL);
  const events: EventEntry[] = [];
  let seq = 0;
  db.transaction(() => {
    for (let ts = T0; ts < T0 + days * DAY; ts += 10 * MINUTE) {
      const samples: Sample[] = ZONES.map((zone, i) => ({ zone, ts, room_c: 18 + i + (ts % HOUR) / HOUR, pipe_c: null, outdoor_c: -5, output: ts % (2 * HOUR) < HOUR }));
      log.record(samples);
      for (const s of samples) events.push({ seq: ++seq, ...sampleEvent(s) });
      if (ts % HOUR === 0) events.push({ seq: ++seq, ts, source: 'control', zone: 'Z1', event: 'ON', room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: 'schedule' });
    }
    for (const e of events) insert.run(...eventParams(e));
  })();
  return events;
}

const count = (sql: string, ...params: (number | string)[]): number => (db.prepare(sql).pluck().get(...params) as number);

describe('SampleLog.pruneRaw', () => {
  it('deletes raw samples before the cutoff, at most a batch a call, and keeps every rollup', () => {
    fill(10);
    const cutoff = T0 + 7 * DAY + 5 * MINUTE; // not on a bucket edge
    const rollupsBefore = ['samples_15m', 'samples_1h', 'samples_1d'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY zone, bucket`).all());
    const oldRange = log.history('Z2', T0, T0 + 7 * DAY, 7 * 24);
    const old = count('SELECT count(*) FROM samples WHERE ts < ?', cutoff);
    expect(old).toBe(7 * 144 * ZONES.length + ZONES.length);

    expect(log.pruneRaw(cutoff, 500)).toBe(500);
    expect(count('SELECT count(*) FROM samples WHERE ts < ?', cutoff)).toBe(old - 500);
    let calls = 1;
    while (log.pruneRaw(cutoff, 500) === 500) calls++;
    expect(calls).toBeGreaterThanOrEqual(Math.floor(old / 500));
    expect(count('SELECT count(*) FROM samples WHERE ts < ?', cutoff)).toBe(0);
    // Everything from the cutoff on is still there.
    expect(count('SELECT count(*) FROM samples WHERE ts >= ?', cutoff)).toBe(10 * 144 * ZONES.length - old);
    expect(log.pruneRaw(cutoff, 500)).toBe(0);

    // Rollups untouched, so the old range still answers, from the hourly tier, as before.
    expect(['samples_15m', 'samples_1h', 'samples_1d'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY zone, bucket`).all())).toEqual(rollupsBefore);
    const after = log.history('Z2', T0, T0 + 7 * DAY, 7 * 24);
    expect(after).toEqual(oldRange);
    expect(after).toHaveLength(7 * 24);
  });
});

describe('pruneSampleEvents', () => {
  const stmt = (sql: string) => statements.get(sql);

  it('deletes only SAMPLE events before the cutoff, oldest first, a batch a call; other kinds stay', () => {
    const events = fill(3);
    const cutoff = T0 + 2 * DAY;
    const doomed = events.filter((e) => e.event === 'SAMPLE' && e.ts < cutoff);
    const first = pruneSampleEvents(stmt, cutoff, 100, Number.MAX_SAFE_INTEGER);
    expect(first).toEqual({ removed: 100, through: doomed[99]!.seq });
    let total = first.removed;
    for (;;) {
      const r = pruneSampleEvents(stmt, cutoff, 100, Number.MAX_SAFE_INTEGER);
      total += r.removed;
      if (r.removed < 100) break;
    }
    expect(total).toBe(doomed.length);
    const left = db.prepare('SELECT seq, event, ts FROM events ORDER BY seq').all() as { seq: number; event: string; ts: number }[];
    expect(left.filter((e) => e.event === 'SAMPLE' && e.ts < cutoff)).toEqual([]);
    // Every ON event stays, old or new, and every SAMPLE from the cutoff on.
    expect(left.filter((e) => e.event === 'ON')).toHaveLength(events.filter((e) => e.event === 'ON').length);
    expect(left.filter((e) => e.event === 'SAMPLE')).toHaveLength(events.filter((e) => e.event === 'SAMPLE' && e.ts >= cutoff).length);
  });

  it('never deletes at or above keepFromSeq', () => {
    const events = fill(3);
    const keepFrom = events[100]!.seq;
    let r;
    do r = pruneSampleEvents(stmt, T0 + 3 * DAY, 1000, keepFrom);
    while (r.removed > 0);
    expect(count('SELECT min(seq) FROM events WHERE event = ?', 'SAMPLE')).toBeGreaterThanOrEqual(keepFrom);
    expect(count('SELECT count(*) FROM events WHERE seq >= ?', keepFrom)).toBe(events.length - keepFrom + 1);
  });
});

describe('history over a pruned range', () => {
  it('answers from the rollups where the raw samples are gone, at the finest tier at least', () => {
    fill(10);
    const day = T0 + 2 * DAY + 7 * MINUTE; // an old day, not on a bucket edge
    const before = log.history('Z1', day, day + DAY, 500);
    // With raw samples, a day at 500 points is answered from them: one point per sample (10 min).
    expect(before).toHaveLength(144);
    while (log.pruneRaw(T0 + 7 * DAY, 10_000) > 0);
    const after = log.history('Z1', day, day + DAY, 500);
    // Now from 15-minute buckets: one a bucket (the first clamped to `from`), averages as the rollups hold them.
    expect(after).toHaveLength(96);
    expect(after[0]!.ts).toBe(day);
    expect(after[1]!.ts).toBe(Math.floor(day / (15 * MINUTE)) * 15 * MINUTE + 15 * MINUTE);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(after.map((p) => p.room_c!))).toBeCloseTo(mean(before.map((p) => p.room_c!)), 1);
    // A range that spans pruned and kept days still covers both.
    const span = log.history('Z1', T0 + 6 * DAY, T0 + 8 * DAY, 2000);
    expect(span[0]!.ts).toBe(T0 + 6 * DAY);
    expect(span.at(-1)!.ts).toBeGreaterThanOrEqual(T0 + 8 * DAY - 15 * MINUTE);
    // And a zone that never had data before its first sample is answered from raw, as before.
    expect(log.history('Z1', T0 + 8 * DAY, T0 + 8 * DAY + HOUR, 500)).toHaveLength(6);
  });
});
