import type Database from 'better-sqlite3';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { siteDays, type EventEntry, type ZoneStatsReply } from '@boiler/shared';
import { EVENTS_SCHEMA_SQL, EVENTS_SETPOINT_SQL, INSERT_EVENT_SQL, ZoneStatsLog, eventParams, type ZoneStatsRequest } from '../../src/index.js';
import { useTempDir } from '../support/temp-files.js';

// The per-day statistics' SQL on a real SQLite file, over hand-written ON/OFF sequences in Denver
// (the 2026 spring-forward day is 8 March, 23 hours; the fall-back day 1 November, 25 hours).

const TZ = 'America/Denver';
const MIN = 60_000;
const HOUR = 60 * MIN;
const SHORT_MS = 180_000;

/** An instant on Denver's wall clock in January 2026 (UTC-7): day, hour, minute. */
const jan = (day: number, hour: number, minute = 0) => Date.UTC(2026, 0, day, hour + 7, minute);

const temp = useTempDir('boiler-zone-stats-', 'events.db');
let db: Database.Database;
let log: ZoneStatsLog;
let seq: number;
beforeEach(() => {
  db = temp.raw();
  db.exec(EVENTS_SCHEMA_SQL + EVENTS_SETPOINT_SQL);
  log = new ZoneStatsLog(db);
  seq = 0;
});

type Switch = [ts: number, event: 'ON' | 'OFF' | 'SAMPLE', extra?: Partial<EventEntry>];

function record(zone: string, switches: readonly Switch[]): void {
  const insert = db.prepare(INSERT_EVENT_SQL);
  // One transaction: the file is real, and each commit is a sync.
  db.transaction(() => {
    for (const [ts, event, extra] of switches) {
      const entry: EventEntry = { seq: ++seq, ts, source: 'control', zone, event, room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: null, ...extra };
      insert.run(...eventParams(entry));
    }
  })();
}

function stats(from: number, to: number, knownUntil: number | null = to, zone = 'Z1'): ZoneStatsReply {
  const req: ZoneStatsRequest = { zone, from, to, timeZone: TZ, shortCycleMs: SHORT_MS, knownUntil };
  return log.zoneStats(req);
}

/** A day's numbers without its date and bounds. */
function numbers(r: ZoneStatsReply, date: string) {
  const d = r.days.find((x) => x.date === date);
  if (d === undefined) throw new Error(`no day ${date} in ${r.days.map((x) => x.date).join(', ')}`);
  const { date: _d, start: _s, end: _e, ...rest } = d;
  return rest;
}

describe('per-day zone statistics in SQL', () => {
  it('splits a run over midnight between the two days and counts it once in the totals', () => {
    // The log begins before the window, so every day asked for is observed whole.
    record('Z1', [
      [jan(1, 0), 'SAMPLE'],
      [jan(10, 22), 'ON'],
      [jan(11, 2), 'OFF'],
    ]);
    const r = stats(jan(10, 0), jan(12, 0));
    expect(r.days.map((d) => d.date)).toEqual(['2026-01-10', '2026-01-11']);
    expect(numbers(r, '2026-01-10')).toEqual({ observed_s: 86_400, calls: 1, runs: 1, run_s: 7200, avg_run_s: 7200, duty: 7200 / 86_400, short_cycles: 0 });
    expect(numbers(r, '2026-01-11')).toEqual({ observed_s: 86_400, calls: 0, runs: 1, run_s: 7200, avg_run_s: 7200, duty: 7200 / 86_400, short_cycles: 0 });
    expect(r.totals).toEqual({ observed_s: 172_800, calls: 1, runs: 1, run_s: 14_400, avg_run_s: 14_400, duty: 14_400 / 172_800, short_cycles: 0 });
    expect(r.open_run).toBeNull();
  });

  it('counts a run that began before the window from the window start, and not as a call in it', () => {
    record('Z1', [
      [jan(1, 0), 'SAMPLE'],
      [jan(9, 23), 'ON'],
      [jan(10, 1, 30), 'OFF'],
    ]);
    const r = stats(jan(10, 0), jan(11, 0));
    expect(numbers(r, '2026-01-10')).toMatchObject({ calls: 0, runs: 1, run_s: 5400, short_cycles: 0 });
  });

  it('measures the 23-hour and 25-hour days by their real length', () => {
    const spring = Date.UTC(2026, 2, 8, 7); // 8 March 00:00 MST
    const fall = Date.UTC(2026, 10, 1, 6); // 1 November 00:00 MDT
    record('Z1', [
      [spring - HOUR, 'SAMPLE'],
      // 01:30 MST to 03:30 MDT: one hour of real time across the jump.
      [spring + 90 * MIN, 'ON'],
      [spring + 150 * MIN, 'OFF'],
      // 01:30 MDT to 01:30 MST: the repeated hour, one real hour.
      [fall + 90 * MIN, 'ON'],
      [fall + 150 * MIN, 'OFF'],
    ]);
    const s = stats(spring, spring + 23 * HOUR);
    expect(s.days).toHaveLength(1);
    expect(s.days[0]!.end - s.days[0]!.start).toBe(23 * HOUR);
    expect(numbers(s, '2026-03-08')).toEqual({ observed_s: 23 * 3600, calls: 1, runs: 1, run_s: 3600, avg_run_s: 3600, duty: 1 / 23, short_cycles: 0 });
    const f = stats(fall, fall + 25 * HOUR);
    expect(f.days).toHaveLength(1);
    expect(numbers(f, '2026-11-01')).toEqual({ observed_s: 25 * 3600, calls: 1, runs: 1, run_s: 3600, avg_run_s: 3600, duty: 1 / 25, short_cycles: 0 });
  });

  it('counts a run still on up to the end of what was observed, and says so', () => {
    record('Z1', [
      [jan(1, 0), 'SAMPLE'],
      [jan(10, 20), 'ON'],
    ]);
    // The window runs on past the server's now (23:00): only what was seen counts.
    const r = stats(jan(10, 0), jan(12, 0), jan(10, 23));
    expect(r.open_run).toEqual({ since: jan(10, 20) });
    expect(r.observed_until).toBe(jan(10, 23));
    expect(numbers(r, '2026-01-10')).toEqual({ observed_s: 23 * 3600, calls: 1, runs: 1, run_s: 3 * 3600, avg_run_s: 3 * 3600, duty: 3 / 23, short_cycles: 0 });
    // Tomorrow was not observed at all: nothing counted, no duty.
    expect(numbers(r, '2026-01-11')).toEqual({ observed_s: 0, calls: 0, runs: 0, run_s: 0, avg_run_s: null, duty: null, short_cycles: 0 });
    // Asked for a window ending earlier, the run counts up to its end.
    const early = stats(jan(10, 0), jan(10, 21), jan(10, 23));
    expect(early.open_run).toEqual({ since: jan(10, 20) });
    expect(early.totals.run_s).toBe(3600);
  });

  it('counts runs shorter than the threshold that ended as short cycles, on the day they began', () => {
    record('Z1', [
      [jan(1, 0), 'SAMPLE'],
      [jan(10, 1), 'ON'],
      [jan(10, 1, 1), 'OFF'], // 60 s
      [jan(10, 2), 'ON'],
      [jan(10, 2) + 179_000, 'OFF'], // 179 s
      [jan(10, 3), 'ON'],
      [jan(10, 3, 3), 'OFF'], // 180 s: not short
      [jan(10, 4), 'ON'],
      [jan(10, 4, 10), 'OFF'], // 600 s
      [jan(10, 23, 59), 'ON'],
      [jan(11, 0, 1), 'OFF'], // 120 s over midnight: short, on the 10th
    ]);
    const r = stats(jan(10, 0), jan(12, 0));
    expect(numbers(r, '2026-01-10')).toMatchObject({ calls: 5, runs: 5, short_cycles: 3, run_s: 60 + 179 + 180 + 600 + 60 });
    expect(numbers(r, '2026-01-11')).toMatchObject({ calls: 0, runs: 1, short_cycles: 0, run_s: 60 });
    expect(r.totals).toMatchObject({ calls: 5, runs: 5, short_cycles: 3, run_s: 60 + 179 + 180 + 600 + 120 });
  });

  it('ends a run cut by a restart at its recorded length, not at the restart', () => {
    record('Z1', [
      [jan(1, 0), 'SAMPLE'],
      [jan(10, 8), 'ON'],
      // The agent died at 08:02 and came back at 09:00; its OFF carries the real 120 s.
      [jan(10, 9), 'OFF', { source: 'system', duration_s: 120 }],
    ]);
    const r = stats(jan(10, 0), jan(11, 0));
    expect(numbers(r, '2026-01-10')).toMatchObject({ runs: 1, run_s: 120, short_cycles: 1 });
  });

  it('tells calls for heat from safety runs, ignores a repeated switch and other zones', () => {
    record('Z1', [
      [jan(1, 0), 'SAMPLE'],
      [jan(10, 6), 'ON', { source: 'thermostat' }],
      [jan(10, 6, 30), 'ON', { source: 'thermostat' }], // repeated: the same run
      [jan(10, 7), 'OFF'],
      [jan(10, 12), 'ON', { source: 'safety', detail: 'freeze protection' }],
      [jan(10, 12, 30), 'OFF', { source: 'safety' }],
      [jan(10, 13), 'OFF'], // repeated OFF: nothing
    ]);
    record('Z2', [
      [jan(10, 1), 'ON'],
      [jan(10, 20), 'OFF'],
    ]);
    const r = stats(jan(10, 0), jan(11, 0));
    expect(numbers(r, '2026-01-10')).toEqual({ observed_s: 86_400, calls: 1, runs: 2, run_s: 5400, avg_run_s: 2700, duty: 5400 / 86_400, short_cycles: 0 });
    expect(numbers(stats(jan(10, 0), jan(11, 0), jan(11, 0), 'Z2'), '2026-01-10')).toMatchObject({ runs: 1, run_s: 19 * 3600 });
  });

  it('answers empty days with zeros, and days the database has not seen yet with nothing observed', () => {
    record('Z1', [[jan(10, 12), 'SAMPLE']]);
    const r = stats(jan(9, 0), jan(12, 0), jan(11, 6));
    expect(r.days.map((d) => [d.date, d.observed_s, d.runs, d.duty])).toEqual([
      ['2026-01-09', 0, 0, null],
      ['2026-01-10', 12 * 3600, 0, 0],
      ['2026-01-11', 6 * 3600, 0, 0],
    ]);
    expect(r.totals).toEqual({ observed_s: 18 * 3600, calls: 0, runs: 0, run_s: 0, avg_run_s: null, duty: 0, short_cycles: 0 });
    // An empty database observed nothing.
    db.exec('DELETE FROM events');
    expect(stats(jan(9, 0), jan(12, 0)).totals).toMatchObject({ observed_s: 0, duty: null });
  });

  it('agrees with a plain reading of the switches, day by day, for any sequence', () => {
    const from = jan(10, 0);
    const to = jan(14, 0);
    const arb = fc.array(fc.record({ at: fc.integer({ min: jan(9, 0), max: jan(14, 12) }), on: fc.boolean(), safety: fc.boolean() }), { maxLength: 40 });
    fc.assert(
      fc.property(arb, fc.integer({ min: jan(10, 0), max: jan(15, 0) }), (raw, known) => {
        db.exec('DELETE FROM events');
        seq = 0;
        const switches = [...raw].sort((a, b) => a.at - b.at);
        record('Z1', [[jan(8, 0), 'SAMPLE'], ...switches.map((s): Switch => [s.at, s.on ? 'ON' : 'OFF', { source: s.safety ? 'safety' : 'control' }])]);
        const r = stats(from, to, known);
        const until = Math.min(to, known);
        // The reference: walk the switches in order, runs from an ON to the next OFF.
        const runs: { start: number; stop: number | null; safety: boolean }[] = [];
        for (const s of switches) {
          const open = runs[runs.length - 1];
          if (s.at >= until) break;
          if (s.on && (open === undefined || open.stop !== null)) runs.push({ start: s.at, stop: null, safety: s.safety });
          else if (!s.on && open !== undefined && open.stop === null) open.stop = s.at;
        }
        const days = siteDays(from, to, TZ);
        expect(r.days).toHaveLength(days.length);
        for (const [i, d] of days.entries()) {
          const lo = Math.max(d.start, from);
          const hi = Math.min(d.end, until);
          const got = r.days[i]!;
          if (hi <= lo) {
            expect(got.observed_s).toBe(0);
            expect(got.runs).toBe(0);
            continue;
          }
          const touching = runs.filter((x) => x.start < hi && ((x.stop ?? until) > lo || x.start >= lo));
          const ms = touching.reduce((n, x) => n + Math.max(0, Math.min(x.stop ?? until, hi) - Math.max(x.start, lo)), 0);
          const begun = touching.filter((x) => x.start >= lo);
          expect(got.runs).toBe(touching.length);
          expect(got.run_s).toBe(Math.round(ms / 1000));
          expect(got.calls).toBe(begun.filter((x) => !x.safety).length);
          expect(got.short_cycles).toBe(begun.filter((x) => x.stop !== null && x.stop - x.start < SHORT_MS).length);
          expect(got.duty).toBeCloseTo(ms / (hi - lo), 9);
        }
        // A window with nothing observed in it (the server's now at its start) has no run on in it either.
        const last = runs[runs.length - 1];
        expect(r.open_run).toEqual(until > from && last !== undefined && last.stop === null ? { since: last.start } : null);
      }),
      { numRuns: 80 },
    );
  });
});
