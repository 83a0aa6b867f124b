import fc from 'fast-check';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EventEntry, EventKind, HistoryPoint } from '@boiler/shared';
import { MAX_HISTORY_POINTS, type AgentStore, type Sample } from '../../../agent/src/store/index.js';
import type { Replica } from '../../src/replica/index.js';
import { T0 } from './fixtures/source-log.js';
import { useTempFiles } from './temp-replica.js';

const files = useTempFiles();

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ROLLUPS = ['samples_15m', 'samples_1h', 'samples_1d'] as const;

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

/**
 * Writes samples through the agent's store in batches of `batch`, with ON/OFF events between the
 * batches as the control loop would log them, and returns the agent's whole event log.
 */
function agentLog(agent: AgentStore, samples: readonly Sample[], batch: number): EventEntry[] {
  for (let i = 0; i < samples.length; i += batch) {
    const first = samples[i];
    if (first !== undefined) {
      agent.appendEvents([
        { ts: first.ts, source: 'control', zone: first.zone, event: i % 2 === 0 ? 'ON' : 'OFF', room_c: first.room_c, pipe_c: null, outdoor_c: null, duration_s: i % 2 === 0 ? null : 60, detail: null },
      ]);
    }
    agent.recordSamples(samples.slice(i, i + batch));
  }
  const log: EventEntry[] = [];
  for (let page = agent.eventsAfter(0, 10_000); page.length > 0; page = agent.eventsAfter(log[log.length - 1]?.seq ?? 0, 10_000)) log.push(...page);
  expect(log.length).toBe(agent.lastSeq());
  return log;
}

/** Feeds the agent's log to the replica in pages of `page` events, each page repeating up to `overlap` (< page) applied ones. */
function replicate(replica: Replica, log: readonly EventEntry[], page: number, overlap: number): void {
  let next = 0;
  while (next < log.length) {
    const start = Math.max(0, next - Math.min(overlap, page - 1));
    replica.applyEvents(log.slice(start, start + page));
    next = replica.appliedSeq();
  }
  expect(replica.appliedSeq()).toBe(log.length);
}

function randomSamples(seed: number, count: number, zones: readonly string[], stepMs: number): Sample[] {
  const rand = mulberry32(seed);
  const r = (lo: number, hi: number): number | null => (rand() < 0.1 ? null : Math.round((lo + rand() * (hi - lo)) * 100) / 100);
  const out: Sample[] = [];
  for (let i = 0; i < count; i++) {
    for (const zone of zones) {
      out.push({ zone, ts: T0 + i * stepMs + Math.floor(rand() * 1000), room_c: r(10, 25), pipe_c: r(20, 70), outdoor_c: r(-20, 10), output: rand() < 0.35 });
    }
  }
  return out;
}

function rows(db: Database.Database, sql: string): Record<string, unknown>[] {
  return db.prepare(sql).all() as Record<string, unknown>[];
}

function expectClose(got: readonly HistoryPoint[], want: readonly HistoryPoint[], what: string): void {
  expect(got.map((p) => p.ts), what).toEqual(want.map((p) => p.ts));
  got.forEach((p, i) => {
    for (const key of ['room_c', 'pipe_c', 'outdoor_c', 'duty'] as const) {
      const w = want[i]?.[key] ?? null;
      if (w === null) expect(p[key], `${what} ${key} at ${p.ts}`).toBeNull();
      else expect(p[key], `${what} ${key} at ${p.ts}`).toBeCloseTo(w, 9);
    }
  });
}

describe('samples, rollups and history derived from SAMPLE events', () => {
  it('are exactly the agent store’s when the replica applies the batches the agent wrote', () => {
    const agent = files.openAgentStore();
    const replica = files.openReplica();
    const samples = randomSamples(1, 6 * 24 * 30, ['Z1', 'Z2', 'Z3'], 10 * MINUTE);
    const log = agentLog(agent, samples, 3 * 6);
    // Page by page as the agent wrote them: one ON/OFF event and 18 samples a batch.
    for (let i = 0; i < log.length; i += 19) replica.applyEvents(log.slice(i, i + 19));
    expect(replica.appliedSeq()).toBe(log.length);

    const a = files.raw('agent.db');
    const r = files.raw();
    expect(rows(r, 'SELECT * FROM samples ORDER BY zone, ts')).toEqual(rows(a, 'SELECT * FROM samples ORDER BY zone, ts'));
    expect(rows(r, 'SELECT count(*) AS n FROM samples')).toEqual([{ n: samples.length }]);
    for (const t of ROLLUPS) expect(rows(r, `SELECT * FROM ${t} ORDER BY zone, bucket`), t).toEqual(rows(a, `SELECT * FROM ${t} ORDER BY zone, bucket`));

    const ranges: [number, number, number][] = [
      [T0, T0 + 30 * DAY, 1000], // hourly rollup
      [T0, T0 + 30 * DAY, 20], // daily rollup
      [T0 + 7 * MINUTE, T0 + 3 * DAY + 5 * MINUTE, 100], // 15-minute rollup with raw edges
      [T0 + 3 * HOUR, T0 + 5 * HOUR, MAX_HISTORY_POINTS], // raw samples
    ];
    for (const zone of ['Z1', 'Z2', 'Z3', 'Z9']) {
      for (const [from, to, points] of ranges) {
        const want = agent.history(zone, from, to, points);
        if (zone !== 'Z9') expect(want.length).toBeGreaterThan(0);
        expect(replica.history(zone, from, to, points), `${zone} ${from}..${to} / ${points}`).toEqual(want);
      }
    }
  });

  it('match the agent store’s for any batching, overlap and query', () => {
    let run = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.integer({ min: 3, max: 40 }),
        fc.integer({ min: 5, max: 80 }),
        fc.integer({ min: 0, max: 10 }),
        fc.array(
          fc.record({
            zone: fc.constantFrom('Z1', 'Z2', 'Z3'),
            from: fc.integer({ min: -DAY, max: 5 * DAY }),
            span: fc.integer({ min: 1, max: 6 * DAY }),
            points: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 1, max: MAX_HISTORY_POINTS })),
          }),
          { minLength: 1, maxLength: 8 },
        ),
        (seed, agentBatch, page, overlap, queries) => {
          const name = `run-${run++}`;
          const agent = files.openAgentStore(`${name}-agent.db`);
          const replica = files.openReplica(`${name}-replica.db`);
          const samples = randomSamples(seed, 96 * 4, ['Z1', 'Z2'], 15 * MINUTE - 7_000);
          const log = agentLog(agent, samples, agentBatch);
          replicate(replica, log, page, overlap);
          const a = files.raw(`${name}-agent.db`);
          const r = files.raw(`${name}-replica.db`);
          expect(rows(r, 'SELECT * FROM samples ORDER BY zone, ts')).toEqual(rows(a, 'SELECT * FROM samples ORDER BY zone, ts'));
          for (const t of ROLLUPS) {
            // Counts, min and max exactly; sums to rounding, since other batches add in another order.
            const exact = `SELECT zone, bucket, n, on_n, room_n, room_min, room_max, pipe_n, pipe_min, pipe_max, outdoor_n, outdoor_min, outdoor_max FROM ${t} ORDER BY zone, bucket`;
            expect(rows(r, exact), t).toEqual(rows(a, exact));
          }
          for (const q of queries) {
            const from = Math.max(0, T0 + q.from);
            const to = from + q.span;
            expectClose(replica.history(q.zone, from, to, q.points), agent.history(q.zone, from, to, q.points), `${q.zone} ${from}..${to} / ${q.points}`);
          }
        },
      ),
      { numRuns: 30, seed: 7 },
    );
  }, 120_000);
});

describe('queryEvents', () => {
  it('answers every filter as the agent store does, newest first', () => {
    const agent = files.openAgentStore();
    const replica = files.openReplica();
    const rand = mulberry32(3);
    const kinds: EventKind[] = ['ON', 'OFF', 'ALERT', 'COMMAND'];
    for (let i = 0; i < 40; i++) {
      agent.appendEvents(
        Array.from({ length: 20 }, (_, j) => ({
          ts: T0 + (i * 20 + j) * MINUTE,
          source: 'control' as const,
          zone: rand() < 0.2 ? null : `Z${1 + Math.floor(rand() * 3)}`,
          event: kinds[Math.floor(rand() * kinds.length)] ?? 'ON',
          room_c: null,
          pipe_c: null,
          outdoor_c: null,
          duration_s: null,
          detail: `e${i}.${j}`,
        })),
      );
      agent.recordSamples([{ zone: 'Z1', ts: T0 + i * 20 * MINUTE, room_c: 20, pipe_c: 40, outdoor_c: 0, output: i % 2 === 0 }]);
    }
    replicate(replica, agent.eventsAfter(0, 10_000), 100, 0);
    const query = fc.record(
      {
        zone: fc.constantFrom<string | null>(null, 'Z1', 'Z2', 'Z3', 'Z9'),
        event: fc.oneof(fc.constantFrom<EventKind>('ON', 'OFF', 'SAMPLE', 'ALERT', 'COMMAND'), fc.uniqueArray(fc.constantFrom<EventKind>('ON', 'OFF', 'SAMPLE', 'ALERT'), { maxLength: 3 })),
        from: fc.integer({ min: T0 - HOUR, max: T0 + 900 * MINUTE }),
        to: fc.integer({ min: T0, max: T0 + 900 * MINUTE }),
        beforeSeq: fc.integer({ min: 0, max: 900 }),
        limit: fc.integer({ min: 1, max: 2000 }),
      },
      { requiredKeys: [] },
    );
    let nonEmpty = 0;
    fc.assert(
      fc.property(query, (q) => {
        const want = agent.queryEvents(q);
        if (want.length > 0) nonEmpty++;
        expect(replica.queryEvents(q)).toEqual(want);
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(nonEmpty).toBeGreaterThan(60);
    const newest = replica.queryEvents({ limit: 5 });
    expect(newest.map((e) => e.seq)).toEqual([840, 839, 838, 837, 836]);
    expect(() => replica.queryEvents({ limit: 2001 })).toThrow(RangeError);
    expect(() => replica.queryEvents({ limit: 0 })).toThrow(RangeError);
    expect(() => replica.history('Z1', T0, T0 + DAY, MAX_HISTORY_POINTS + 1)).toThrow(RangeError);
  });
});
