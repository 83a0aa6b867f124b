import fc from 'fast-check';
import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { EventEntry } from '@boiler/shared';
import { ReplicaGapError, type Replica } from '../../src/replica/index.js';
import { sourceEvent, sourceRange, sourceSamplesUpTo, T0 } from './fixtures/source-log.js';
import { useTempFiles } from './temp-replica.js';

const files = useTempFiles();

const EVENT_COLUMNS = 'seq, ts, source, zone, event, room_c, pipe_c, outdoor_c, duration_s, detail, setpoint_c';

function storedEvents(db: Database.Database): EventEntry[] {
  return db.prepare(`SELECT ${EVENT_COLUMNS} FROM events ORDER BY seq`).all() as EventEntry[];
}

function storedSeqs(db: Database.Database): number[] {
  return (db.prepare('SELECT seq FROM events ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
}

function count(db: Database.Database, table: string): number {
  return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
}

/** Everything a batch may write, so a test can check that a refused or failed batch wrote none of it. */
function snapshot(db: Database.Database): unknown {
  return {
    applied: db.prepare(`SELECT value FROM meta WHERE key = 'applied_seq'`).get(),
    events: storedEvents(db),
    samples: db.prepare('SELECT * FROM samples ORDER BY zone, ts').all(),
    rollups: ['samples_15m', 'samples_1h', 'samples_1d'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY zone, bucket`).all()),
  };
}

function expectGap(fn: () => unknown, expected: number, got: number): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ReplicaGapError);
  expect(thrown).toMatchObject({ expected, got });
}

const reading = fc.option(
  fc.integer({ min: -500, max: 1200 }).map((x) => x / 10),
  { nil: null },
);

/** A sample's setpoint: a few values, so buckets often hold more than one; null for on/off zones and modes without one. */
const setpoint = fc.option(fc.constantFrom(16, 18.5, 21, 22.5), { nil: null });

/** An event without its seq; SAMPLE events mostly as the agent writes them, a few it never would. */
const eventBody = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      // On a 5-minute grid, so two samples of a zone at one instant happen (the first counts).
      ts: fc.integer({ min: 0, max: 3 * 288 }).map((k) => T0 + k * 300_000),
      source: fc.constant('sampler' as const),
      zone: fc.constantFrom('Z1', 'Z2'),
      event: fc.constant('SAMPLE' as const),
      room_c: reading,
      pipe_c: reading,
      outdoor_c: reading,
      setpoint_c: setpoint,
      duration_s: fc.constant(null),
      detail: fc.constantFrom('on', 'off'),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      ts: fc.integer({ min: T0, max: T0 + 3 * 86_400_000 }),
      source: fc.constantFrom('control' as const, 'safety' as const, 'command' as const),
      zone: fc.option(fc.constantFrom('Z1', 'Z2'), { nil: null }),
      event: fc.constantFrom('ON' as const, 'OFF' as const, 'ALERT' as const, 'COMMAND' as const),
      room_c: reading,
      pipe_c: reading,
      outdoor_c: reading,
      setpoint_c: fc.constant(null),
      duration_s: fc.option(fc.nat(100_000), { nil: null }),
      detail: fc.option(fc.string({ maxLength: 20 }), { nil: null }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      ts: fc.integer({ min: T0, max: T0 + 3 * 86_400_000 }),
      source: fc.constant('sampler' as const),
      zone: fc.option(fc.constantFrom('Z1', 'Z2'), { nil: null }),
      event: fc.constant('SAMPLE' as const),
      room_c: reading,
      pipe_c: reading,
      outdoor_c: reading,
      setpoint_c: setpoint,
      duration_s: fc.constant(null),
      detail: fc.option(fc.constantFrom('on', 'off', 'maybe'), { nil: null }),
    }),
  },
);

/** One step of a delivery: a batch starting `offset` seqs from the applied one, perhaps sent twice, perhaps a reopen after. */
const step = fc.record({
  offset: fc.integer({ min: -12, max: 2 }),
  length: fc.integer({ min: 0, max: 15 }),
  twice: fc.boolean(),
  reopen: fc.boolean(),
});

/** The samples a replica must derive from `events`, computed here without the code under test. */
interface ExpectedSample {
  zone: string;
  ts: number;
  room_c: number | null;
  pipe_c: number | null;
  outdoor_c: number | null;
  output: number;
  setpoint_c: number | null;
}

function expectedSamples(events: readonly EventEntry[]): ExpectedSample[] {
  const byKey = new Map<string, ExpectedSample>();
  for (const e of events) {
    if (e.event !== 'SAMPLE' || e.zone === null || (e.detail !== 'on' && e.detail !== 'off')) continue;
    const key = `${e.zone}/${e.ts}`;
    // The first sample of a zone and instant wins, as in the agent's store.
    if (!byKey.has(key)) {
      byKey.set(key, { zone: e.zone, ts: e.ts, room_c: e.room_c, pipe_c: e.pipe_c, outdoor_c: e.outdoor_c, output: e.detail === 'on' ? 1 : 0, setpoint_c: e.setpoint_c ?? null });
    }
  }
  return [...byKey.values()].sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : a.ts - b.ts));
}

/** Each bucket's last setpoint (of its latest sample that had one) and that sample's instant, from `samples` in zone and time order. */
function expectedSetpoints(samples: readonly ExpectedSample[], bucketMs: number): { zone: string; bucket: number; setpoint_last: number | null; setpoint_ts: number | null }[] {
  const byKey = new Map<string, { zone: string; bucket: number; setpoint_last: number | null; setpoint_ts: number | null }>();
  for (const x of samples) {
    const bucket = Math.floor(x.ts / bucketMs) * bucketMs;
    const key = `${x.zone}/${bucket}`;
    const row = byKey.get(key) ?? { zone: x.zone, bucket, setpoint_last: null, setpoint_ts: null };
    if (x.setpoint_c !== null) {
      row.setpoint_last = x.setpoint_c;
      row.setpoint_ts = x.ts;
    }
    byKey.set(key, row);
  }
  return [...byKey.values()];
}

describe('applyEvents', () => {
  it('applies any delivery of overlapping and repeated contiguous batches exactly once, in order, equal to the source', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(eventBody, { minLength: 1, maxLength: 60 }), fc.array(step, { maxLength: 25 }), (bodies, steps) => {
        const source: EventEntry[] = bodies.map((b, i) => ({ seq: i + 1, ...b }));
        const name = `run-${run++}.db`;
        let replica: Replica = files.openReplica(name);
        const raw = files.raw(name);
        let applied = 0;
        const deliver = (batch: readonly EventEntry[]): void => {
          const first = batch[0];
          const last = batch[batch.length - 1];
          if (first === undefined || last === undefined || last.seq <= applied) {
            expect(replica.applyEvents(batch)).toBe(applied);
          } else if (first.seq > applied + 1) {
            const before = snapshot(raw);
            expectGap(() => replica.applyEvents(batch), applied + 1, first.seq);
            expect(snapshot(raw)).toEqual(before);
          } else {
            expect(replica.applyEvents(batch)).toBe(last.seq);
            applied = last.seq;
          }
          expect(replica.appliedSeq()).toBe(applied);
          expect(storedSeqs(raw)).toEqual(source.slice(0, applied).map((e) => e.seq));
        };
        for (const s of steps) {
          const start = Math.max(0, Math.min(source.length, applied + s.offset));
          const batch = source.slice(start, start + s.length);
          deliver(batch);
          if (s.twice) deliver(batch);
          if (s.reopen) {
            replica.close();
            replica = files.openReplica(name);
            expect(replica.appliedSeq()).toBe(applied);
          }
        }
        deliver(source.slice(Math.max(0, applied - 3)));
        expect(applied).toBe(source.length);
        expect(storedEvents(raw)).toEqual(source);
        // Each sample once: a batch applied twice must not count its samples twice in any tier.
        const samples = expectedSamples(source);
        expect(raw.prepare('SELECT zone, ts, room_c, pipe_c, outdoor_c, output, setpoint_c FROM samples ORDER BY zone, ts').all()).toEqual(samples);
        for (const [t, ms] of [['samples_15m', 15 * 60_000], ['samples_1h', 3600_000], ['samples_1d', 86_400_000]] as const) {
          expect(raw.prepare(`SELECT coalesce(sum(n), 0) AS n, coalesce(sum(on_n), 0) AS on_n FROM ${t}`).get(), t).toEqual({
            n: samples.length,
            on_n: samples.filter((x) => x.output === 1).length,
          });
          // The setpoint is the latest one in the bucket, however the batches split it, not a sum.
          expect(raw.prepare(`SELECT zone, bucket, setpoint_last, setpoint_ts FROM ${t} ORDER BY zone, bucket`).all(), t).toEqual(expectedSetpoints(samples, ms));
        }
        expect(replica.integrityCheck()).toEqual([]);
      }),
      { numRuns: 120, seed: 20250106 },
    );
  }, 120_000);

  it('refuses a batch that starts beyond applied + 1 with ReplicaGapError and changes nothing', () => {
    const replica = files.openReplica();
    const raw = files.raw();
    expect(replica.applyEvents(sourceRange(1, 5))).toBe(5);
    const before = snapshot(raw);
    expectGap(() => replica.applyEvents(sourceRange(7, 9)), 6, 7);
    expect(snapshot(raw)).toEqual(before);
    expect(replica.appliedSeq()).toBe(5);
    // From an empty replica too.
    const empty = files.openReplica('empty.db');
    expectGap(() => empty.applyEvents(sourceRange(2, 3)), 1, 2);
    expect(empty.appliedSeq()).toBe(0);
  });

  it('refuses a batch with a hole in the middle, even after events that would have applied', () => {
    const replica = files.openReplica();
    const raw = files.raw();
    replica.applyEvents(sourceRange(1, 5));
    const before = snapshot(raw);
    expectGap(() => replica.applyEvents([...sourceRange(4, 8), ...sourceRange(10, 12)]), 9, 10);
    expect(snapshot(raw)).toEqual(before);
    expectGap(() => replica.applyEvents([...sourceRange(6, 8), ...sourceRange(10, 12)], { allowGap: true }), 9, 10);
    expect(snapshot(raw)).toEqual(before);
  });

  it('with allowGap, lets only the first new event jump ahead (a full sync past pruned history)', () => {
    const replica = files.openReplica();
    const raw = files.raw();
    replica.applyEvents(sourceRange(1, 5));
    expect(replica.applyEvents([...sourceRange(3, 5), ...sourceRange(9, 12)], { allowGap: true })).toBe(12);
    expect(storedSeqs(raw)).toEqual([1, 2, 3, 4, 5, 9, 10, 11, 12]);
    expect(storedEvents(raw).slice(5)).toEqual(sourceRange(9, 12));
    // After it the log is contiguous from the new point on, as ever.
    expect(replica.applyEvents(sourceRange(13, 14))).toBe(14);
    expectGap(() => replica.applyEvents(sourceRange(16, 17)), 15, 16);
  });

  it('advanceTo marks seqs applied without events, never lowers the applied seq, and survives a reopen', () => {
    let replica = files.openReplica();
    replica.applyEvents(sourceRange(1, 3));
    replica.advanceTo(20);
    expect(replica.appliedSeq()).toBe(20);
    replica.advanceTo(10);
    expect(replica.appliedSeq()).toBe(20);
    expect(() => replica.advanceTo(-1)).toThrow(RangeError);
    expect(() => replica.advanceTo(1.5)).toThrow(RangeError);
    // Events up to 20 are now skipped; 21 follows.
    expect(replica.applyEvents(sourceRange(15, 22))).toBe(22);
    expect(storedSeqs(files.raw())).toEqual([1, 2, 3, 21, 22]);
    replica.close();
    replica = files.openReplica();
    expect(replica.appliedSeq()).toBe(22);
  });

  it('keeps the applied seq, events, samples and state across a reopen', () => {
    let replica = files.openReplica();
    replica.applyEvents(sourceRange(1, 500));
    const before = snapshot(files.raw());
    replica.close();
    replica = files.openReplica();
    expect(replica.appliedSeq()).toBe(500);
    expect(replica.lastSeq()).toBe(500);
    expect(replica.oldestSeq()).toBe(1);
    expect(snapshot(files.raw())).toEqual(before);
    expect(count(files.raw(), 'samples')).toBe(sourceSamplesUpTo(500));
    expect(replica.applyEvents(sourceRange(400, 501))).toBe(501);
  });

  it('rolls back a batch that fails after writing its events, samples and rollups, and applies it later', () => {
    const replica = files.openReplica();
    const raw = files.raw();
    replica.applyEvents(sourceRange(1, 100));
    const before = snapshot(raw);
    // The last write of the transaction is the applied seq; make exactly that fail.
    raw.exec(`CREATE TRIGGER fail_applied BEFORE UPDATE ON meta BEGIN SELECT RAISE(ABORT, 'disk on fire'); END`);
    expect(() => replica.applyEvents(sourceRange(90, 300))).toThrow(/disk on fire/);
    expect(snapshot(raw)).toEqual(before);
    expect(replica.appliedSeq()).toBe(100);
    expect(replica.stats.eventsApplied).toBe(100);
    expect(replica.lag().lastEventTs).toBe(sourceEvent(100).ts);
    raw.exec('DROP TRIGGER fail_applied');
    expect(replica.applyEvents(sourceRange(90, 300))).toBe(300);
    expect(storedEvents(raw)).toEqual(sourceRange(1, 300));
    expect(count(raw, 'samples')).toBe(sourceSamplesUpTo(300));
  });

  it('rolls back a batch with an event the table refuses, wherever it sits', () => {
    const replica = files.openReplica();
    const raw = files.raw();
    replica.applyEvents(sourceRange(1, 10));
    const before = snapshot(raw);
    const bad = { ...sourceEvent(15), ts: -1 };
    expect(() => replica.applyEvents([...sourceRange(11, 14), bad, ...sourceRange(16, 20)])).toThrow(/CHECK/);
    expect(snapshot(raw)).toEqual(before);
    expect(replica.appliedSeq()).toBe(10);
  });

  it('stores a SAMPLE event it cannot read a sample from as an event only, and counts it', () => {
    const replica = files.openReplica();
    const base = sourceEvent(1);
    expect(base.event).toBe('SAMPLE');
    replica.applyEvents([
      { ...base, seq: 1, detail: 'on' },
      { ...base, seq: 2, ts: base.ts + 1, detail: 'maybe' },
      { ...base, seq: 3, ts: base.ts + 2, zone: null },
      { ...base, seq: 4, ts: base.ts + 3, detail: 'off' },
    ]);
    expect(files.raw().prepare('SELECT ts, output FROM samples ORDER BY ts').all()).toEqual([
      { ts: base.ts, output: 1 },
      { ts: base.ts + 3, output: 0 },
    ]);
    expect(replica.stats).toEqual({ eventsApplied: 4, eventsSkipped: 0, samplesStored: 2, samplesUnreadable: 2 });
    expect(replica.appliedSeq()).toBe(4);
  });

  it('counts skipped events and answers an empty batch with the applied seq', () => {
    const replica = files.openReplica();
    expect(replica.applyEvents([])).toBe(0);
    replica.applyEvents(sourceRange(1, 10));
    expect(replica.applyEvents(sourceRange(5, 12))).toBe(12);
    expect(replica.applyEvents([])).toBe(12);
    expect(replica.stats.eventsApplied).toBe(12);
    expect(replica.stats.eventsSkipped).toBe(6);
  });
});

describe('source log fixture', () => {
  it('counts its samples correctly', () => {
    for (const seq of [0, 1, 4, 5, 6, 9, 10, 11, 99, 100, 1234]) {
      expect(sourceSamplesUpTo(seq), `up to ${seq}`).toBe(sourceRange(1, seq).filter((e) => e.event === 'SAMPLE').length);
    }
  });
});
