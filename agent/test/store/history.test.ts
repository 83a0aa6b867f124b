import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError, type HistoryPoint } from '@boiler/shared';
import {
  MAX_HISTORY_POINTS,
  ROLLUP_TIERS,
  SAMPLE_DETAIL,
  historySegments,
  planHistory,
  type AgentStore,
  type Sample,
} from '../../src/store/index.js';
import { historySql } from '../../src/store/history.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** A Monday, midnight UTC. */
const T0 = Date.UTC(2025, 0, 6);

/** The plain definition: group the zone's samples in [from, to) on the plan's grid and average each group. */
function naiveHistory(samples: readonly Sample[], zone: string, from: number, to: number, points: number): HistoryPoint[] {
  const { origin, width } = planHistory(from, to, points);
  const groups = new Map<number, Sample[]>();
  for (const s of samples) {
    if (s.zone !== zone || s.ts < from || s.ts >= to) continue;
    const k = Math.floor((s.ts - origin) / width);
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  const avg = (xs: (number | null)[]): number | null => {
    const present = xs.filter((x): x is number => x !== null);
    return present.length === 0 ? null : present.reduce((a, b) => a + b, 0) / present.length;
  };
  return [...groups.entries()]
    .sort(([a], [b]) => a - b)
    .map(([k, g]) => ({
      ts: Math.max(from, origin + k * width),
      room_c: avg(g.map((s) => s.room_c)),
      pipe_c: avg(g.map((s) => s.pipe_c)),
      outdoor_c: avg(g.map((s) => s.outdoor_c)),
      duty: g.filter((s) => s.output).length / g.length,
    }));
}

function expectSameHistory(got: readonly HistoryPoint[], want: readonly HistoryPoint[]): void {
  expect(got.map((p) => p.ts)).toEqual(want.map((p) => p.ts));
  got.forEach((p, i) => {
    const w = want[i];
    if (w === undefined) throw new Error('lengths differ');
    for (const key of ['room_c', 'pipe_c', 'outdoor_c', 'duty'] as const) {
      const a = p[key];
      const b = w[key];
      if (b === null) expect(a, `${key} at ${p.ts}`).toBeNull();
      else expect(a, `${key} at ${p.ts}`).toBeCloseTo(b, 6);
    }
  });
}

/** Small deterministic PRNG, so a failure reproduces. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function recordInBatches(store: AgentStore, samples: readonly Sample[], batch: number): void {
  for (let i = 0; i < samples.length; i += batch) store.recordSamples(samples.slice(i, i + batch));
}

const reading = fc.option(
  fc.integer({ min: -500, max: 1200 }).map((x) => x / 10),
  { nil: null },
);

describe('history plan', () => {
  it('never has more buckets than points, on a grid aligned to the coarsest tier that fits one point', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 3 * 365 * DAY }),
        fc.integer({ min: 1, max: MAX_HISTORY_POINTS }),
        (from, span, points) => {
          const to = from + span;
          const plan = planHistory(from, to, points);
          const unit = plan.tier?.ms ?? 1;
          expect(plan.origin).toBeLessThanOrEqual(from);
          expect(plan.origin % unit).toBe(0);
          expect(plan.width % unit).toBe(0);
          expect(Math.ceil((to - plan.origin) / plan.width)).toBeLessThanOrEqual(points);
          // The chosen tier fits one output bucket and the next coarser one would not.
          const ideal = span / points;
          if (plan.tier !== null) expect(plan.tier.ms).toBeLessThanOrEqual(ideal);
          const coarser = ROLLUP_TIERS.find((t) => t.ms > (plan.tier?.ms ?? 0));
          if (coarser !== undefined) expect(coarser.ms).toBeGreaterThan(ideal);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('splits [from, to) into contiguous segments, each tier segment whole buckets of that tier', () => {
    expect(ROLLUP_TIERS.every((t, i) => i === 0 || t.ms % (ROLLUP_TIERS[i - 1]?.ms ?? 1) === 0)).toBe(true);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 400 * DAY }),
        fc.integer({ min: 1, max: MAX_HISTORY_POINTS }),
        (from, span, points) => {
          const to = from + span;
          const segments = historySegments(from, to, planHistory(from, to, points));
          expect(segments[0]?.lo).toBe(from);
          expect(segments[segments.length - 1]?.hi).toBe(to);
          segments.forEach((s, i) => {
            expect(s.lo).toBeLessThan(s.hi);
            if (i > 0) expect(s.lo).toBe(segments[i - 1]?.hi);
            if (s.source !== 'raw') {
              expect(s.lo % s.source.ms).toBe(0);
              expect(s.hi % s.source.ms).toBe(0);
            }
          });
          expect(segments.length).toBeLessThanOrEqual(1 + 2 * ROLLUP_TIERS.length);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('recordSamples', () => {
  it('keeps every rollup tier equal to sums, counts, min and max of the raw samples, across batches and nulls', () => {
    const store = files.openStore();
    const rand = mulberry32(7);
    const samples: Sample[] = [];
    for (let i = 0; i < 3000; i++) {
      const r = () => (rand() < 0.15 ? null : Math.round((rand() * 60 - 10) * 10) / 10);
      samples.push({ zone: rand() < 0.5 ? 'Z1' : 'Z2', ts: T0 + i * 97_000, room_c: r(), pipe_c: r(), outdoor_c: r(), output: rand() < 0.4 });
    }
    recordInBatches(store, samples, 37);
    const raw = files.raw();
    for (const tier of ROLLUP_TIERS) {
      const want = new Map<string, Record<string, number | null>>();
      for (const s of samples) {
        const bucket = Math.floor(s.ts / tier.ms) * tier.ms;
        const key = `${s.zone}/${bucket}`;
        const w = want.get(key) ?? { n: 0, on_n: 0 };
        w.n = (w.n ?? 0) + 1;
        w.on_n = (w.on_n ?? 0) + (s.output ? 1 : 0);
        for (const col of ['room', 'pipe', 'outdoor'] as const) {
          const v = s[`${col}_c`];
          w[`${col}_n`] = (w[`${col}_n`] ?? 0) + (v === null ? 0 : 1);
          w[`${col}_sum`] = (w[`${col}_sum`] ?? 0) + (v ?? 0);
          const min = w[`${col}_min`] ?? null;
          const max = w[`${col}_max`] ?? null;
          w[`${col}_min`] = v === null ? min : min === null ? v : Math.min(min, v);
          w[`${col}_max`] = v === null ? max : max === null ? v : Math.max(max, v);
        }
        want.set(key, w);
      }
      const rows = raw.prepare(`SELECT * FROM ${tier.table}`).all() as Record<string, number | string | null>[];
      expect(rows.length, tier.table).toBe(want.size);
      for (const row of rows) {
        const w = want.get(`${String(row.zone)}/${String(row.bucket)}`);
        expect(w, `${tier.table} ${String(row.zone)} ${String(row.bucket)}`).toBeDefined();
        for (const [col, value] of Object.entries(w ?? {})) {
          if (value === null) expect(row[col], col).toBeNull();
          else expect(row[col], col).toBeCloseTo(value, 6);
        }
      }
    }
  });

  it('writes one SAMPLE event per stored sample, saying whether the output was on', () => {
    const store = files.openStore();
    store.appendEvents([
      { ts: 1, source: 'system', zone: null, event: 'ALERT', room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: 'boot' },
    ]);
    const events = store.recordSamples([
      { zone: 'Z1', ts: T0, room_c: 20, pipe_c: 41, outdoor_c: -2, output: true },
      { zone: 'Z2', ts: T0, room_c: null, pipe_c: null, outdoor_c: -2, output: false },
    ]);
    expect(events).toEqual([
      { seq: 2, ts: T0, source: 'sampler', zone: 'Z1', event: 'SAMPLE', room_c: 20, pipe_c: 41, outdoor_c: -2, setpoint_c: null, duration_s: null, detail: SAMPLE_DETAIL.on },
      { seq: 3, ts: T0, source: 'sampler', zone: 'Z2', event: 'SAMPLE', room_c: null, pipe_c: null, outdoor_c: -2, setpoint_c: null, duration_s: null, detail: SAMPLE_DETAIL.off },
    ]);
    expect(store.eventsAfter(1, 10)).toEqual(events);
  });

  it('ignores a second sample for the same zone and instant: no double count, no second event', () => {
    const store = files.openStore();
    store.recordSamples([{ zone: 'Z1', ts: T0, room_c: 20, pipe_c: null, outdoor_c: null, output: true }]);
    const again = store.recordSamples([
      { zone: 'Z1', ts: T0, room_c: 30, pipe_c: null, outdoor_c: null, output: false },
      { zone: 'Z1', ts: T0 + MINUTE, room_c: 22, pipe_c: null, outdoor_c: null, output: false },
      { zone: 'Z1', ts: T0 + MINUTE, room_c: 99, pipe_c: null, outdoor_c: null, output: true },
    ]);
    expect(again.map((e) => e.ts)).toEqual([T0 + MINUTE]);
    expect(store.lastSeq()).toBe(2);
    // One point over both samples, from raw data, then from the 15-minute tier.
    expect(store.history('Z1', T0, T0 + 2 * MINUTE, 1)).toEqual([{ ts: T0, room_c: 21, pipe_c: null, outdoor_c: null, setpoint_c: null, duty: 0.5 }]);
    expect(store.history('Z1', T0, T0 + 15 * MINUTE, 1)).toEqual([{ ts: T0, room_c: 21, pipe_c: null, outdoor_c: null, setpoint_c: null, duty: 0.5 }]);
  });

  it('writes nothing of a batch with one bad sample', () => {
    const store = files.openStore();
    expect(() =>
      store.recordSamples([
        { zone: 'Z1', ts: T0, room_c: 20, pipe_c: null, outdoor_c: null, output: true },
        { zone: 'Z1', ts: T0 + MINUTE, room_c: 85.5, pipe_c: 200, outdoor_c: null, output: true },
      ]),
    ).toThrow(ValidationError);
    expect(store.lastSeq()).toBe(0);
    expect(store.history('Z1', T0, T0 + DAY, 10)).toEqual([]);
    expect(files.raw().prepare('SELECT count(*) AS n FROM samples_15m').get()).toEqual({ n: 0 });
  });
});

describe('history', () => {
  it('equals the naive average of the raw samples for any range and number of points', () => {
    const store = files.openStore();
    const tiersUsed = new Set<string>();
    let run = 0;
    const sample = fc.record({
      offset: fc.integer({ min: 0, max: (4 * DAY) / 1000 }),
      room_c: reading,
      pipe_c: reading,
      outdoor_c: reading,
      output: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(sample, { selector: (s) => s.offset, minLength: 0, maxLength: 400 }),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: -2 * HOUR, max: 4 * DAY + 2 * HOUR }),
        fc.integer({ min: 1, max: 5 * DAY }),
        fc.oneof(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: MAX_HISTORY_POINTS })),
        (raw, batch, fromOffset, span, points) => {
          // Each run writes its own zone, so runs share the file but not their data.
          const zone = `R${run++}`;
          const samples: Sample[] = raw.map((s) => ({ zone, ts: T0 + s.offset * 1000, room_c: s.room_c, pipe_c: s.pipe_c, outdoor_c: s.outdoor_c, output: s.output }));
          recordInBatches(store, samples, batch);
          const from = T0 + fromOffset;
          const to = from + span;
          tiersUsed.add(planHistory(from, to, points).tier?.table ?? 'raw');
          const got = store.history(zone, from, to, points);
          expect(got.length).toBeLessThanOrEqual(points);
          expect(got.every((p) => p.ts >= from && p.ts < to)).toBe(true);
          expectSameHistory(got, naiveHistory(samples, zone, from, to, points));
        },
      ),
      {
        numRuns: 150,
        seed: 20250106,
        // One run per tier at least, whatever the seed draws.
        examples: [
          [[{ offset: 10, room_c: 20, pipe_c: null, outdoor_c: 1, output: true }], 1, 0, HOUR, 100],
          [[{ offset: 10, room_c: 20, pipe_c: null, outdoor_c: 1, output: true }], 1, 5 * MINUTE, 2 * DAY, 100],
          [[{ offset: 7000, room_c: 20, pipe_c: null, outdoor_c: 1, output: true }], 1, 5 * MINUTE, 3 * DAY, 24],
          [[{ offset: 90_000, room_c: 20, pipe_c: null, outdoor_c: 1, output: true }], 1, 5 * MINUTE, 4 * DAY, 2],
        ],
      },
    );
    expect([...tiersUsed].sort()).toEqual(['raw', 'samples_15m', 'samples_1d', 'samples_1h']);
  });

  it('returns at most the points asked for, one point for points = 1', () => {
    const store = files.openStore();
    const samples: Sample[] = Array.from({ length: 3 * 1440 }, (_, i) => ({
      zone: 'Z1',
      ts: T0 + i * MINUTE,
      room_c: 18 + (i % 10),
      pipe_c: 40,
      outdoor_c: null,
      output: i % 4 === 0,
    }));
    recordInBatches(store, samples, 1440);
    for (const points of [1, 2, 3, 7, 100, 999, 1440, 2000]) {
      const got = store.history('Z1', T0, T0 + 3 * DAY, points);
      expect(got.length).toBeLessThanOrEqual(points);
      expect(got.length).toBeGreaterThan(points === 1 ? 0 : points / 2);
    }
    expect(store.history('Z1', T0, T0 + 3 * DAY, 1)).toEqual([{ ts: T0, room_c: 22.5, pipe_c: 40, outdoor_c: null, setpoint_c: null, duty: 0.25 }]);
  });

  it('returns nothing for an empty range, a range without samples or an unknown zone', () => {
    const store = files.openStore();
    store.recordSamples([{ zone: 'Z1', ts: T0, room_c: 20, pipe_c: 40, outdoor_c: 0, output: true }]);
    expect(store.history('Z1', T0, T0, 10)).toEqual([]);
    expect(store.history('Z1', T0 + 1, T0, 10)).toEqual([]);
    expect(store.history('Z1', T0 + 1, T0 + 365 * DAY, 10)).toEqual([]);
    expect(store.history('Z1', 0, T0, 10)).toEqual([]);
    expect(store.history('Z9', 0, T0 + DAY, 10)).toEqual([]);
    expect(store.history('Z1', 0, T0 + 1, 10)).toHaveLength(1);
  });

  it('refuses points outside 1 to 2,000 and instants that are not whole milliseconds', () => {
    const store = files.openStore();
    expect(() => store.history('Z1', 0, DAY, 0)).toThrow(RangeError);
    expect(() => store.history('Z1', 0, DAY, MAX_HISTORY_POINTS + 1)).toThrow(RangeError);
    expect(() => store.history('Z1', 0, DAY, 1.5)).toThrow(RangeError);
    expect(() => store.history('Z1', 0.5, DAY, 10)).toThrow(RangeError);
  });

  it(
    'answers a year of 1-minute samples from the rollups, not the raw rows',
    () => {
      const store = files.openStore();
      const minutes = 365 * 1440;
      const samples: Sample[] = new Array<Sample>(minutes);
      for (let i = 0; i < minutes; i++) {
        const daily = Math.sin((2 * Math.PI * i) / 1440);
        samples[i] = {
          zone: 'Z1',
          ts: T0 + i * MINUTE,
          room_c: Math.round((20 + daily) * 100) / 100,
          pipe_c: i % 97 === 0 ? null : Math.round((40 + 5 * daily) * 100) / 100,
          outdoor_c: Math.round((-5 + 8 * daily) * 100) / 100,
          output: i % 7 < 3,
        };
      }
      let t = performance.now();
      // 20,000 a transaction rather than one giant one: a single 100 MB transaction spills SQLite's
      // page cache and leaves the whole year in the WAL, which made both the build and the query
      // about twice as slow here, and is not how the agent writes (a batch a minute).
      recordInBatches(store, samples, 20_000);
      const buildMs = performance.now() - t;
      const from = T0;
      const to = T0 + minutes * MINUTE;

      const plan = planHistory(from, to, 1000);
      expect(plan.tier?.table).toBe('samples_1h');
      const segments = historySegments(from, to, plan);
      expect(segments.map((s) => (s.source === 'raw' ? 'raw' : s.source.table))).toEqual(['samples_1h']);

      const times: number[] = [];
      let year: HistoryPoint[] = [];
      for (let i = 0; i < 10; i++) {
        t = performance.now();
        year = store.history('Z1', from, to, 1000);
        times.push(performance.now() - t);
      }
      times.sort((a, b) => a - b);
      console.log(
        `[store] built ${minutes} samples (+ rollups + SAMPLE events) in ${buildMs.toFixed(0)} ms; ` +
          `history of a year to 1,000 points: ${year.length} points, median ${times[5]?.toFixed(2)} ms, ` +
          `min ${times[0]?.toFixed(2)} ms, max ${times[9]?.toFixed(2)} ms (not asserted)`,
      );
      expect(year.length).toBeLessThanOrEqual(1000);
      expect(year.length).toBeGreaterThan(900);
      expectSameHistory(year, naiveHistory(samples, 'Z1', from, to, 1000));

      // An unaligned year reads the coarse tier in the middle and finer ones at the edges; still exact.
      const uFrom = from + 7 * MINUTE + 13_000;
      const uTo = to - 50 * MINUTE;
      expectSameHistory(store.history('Z1', uFrom, uTo, 1000), naiveHistory(samples, 'Z1', uFrom, uTo, 1000));

      // The query plan reads the hourly rollup by its key and never scans a table.
      const raw = files.raw();
      const { sql, params } = historySql('Z1', plan, segments);
      const detail = (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]).map((r) => r.detail).join('\n');
      expect(detail).toMatch(/SEARCH samples_1h USING PRIMARY KEY \(zone=\? AND bucket>\? AND bucket<\?\)/);
      expect(detail).not.toMatch(/\bSCAN (samples|samples_15m|samples_1h|samples_1d)\b/);

      // Proof by tampering: shift the hourly rollup by +1000 °C. A year moves by exactly that;
      // an hour's history (raw samples) does not.
      const hourBefore = store.history('Z1', from, from + HOUR, 60);
      raw.prepare(`UPDATE samples_1h SET room_sum = room_sum + 1000 * room_n WHERE zone = 'Z1'`).run();
      const tampered = store.history('Z1', from, to, 1000);
      tampered.forEach((p, i) => expect((p.room_c ?? 0) - (year[i]?.room_c ?? 0)).toBeCloseTo(1000, 6));
      expect(store.history('Z1', from, from + HOUR, 60)).toEqual(hourBefore);
    },
    180_000,
  );
});
