import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ValidationError, type EventEntry } from '@boiler/shared';
import {
  EVENTS_SCHEMA_SQL,
  EVENTS_SETPOINT_SQL,
  MAX_QUERY_EVENTS,
  SAMPLES_SCHEMA_SQL,
  SAMPLES_SETPOINT_SQL,
  SAMPLE_DETAIL,
  SampleLog,
  eventQuerySql,
  rollupDeltas,
  sampleEvent,
  sampleFromEvent,
  type Sample,
} from '../../src/index.js';

const T0 = Date.UTC(2025, 0, 6);
const MINUTE = 60_000;

let db: Database.Database;
beforeEach(() => {
  db = new Database(':memory:');
  db.exec(EVENTS_SCHEMA_SQL + EVENTS_SETPOINT_SQL);
  db.exec(SAMPLES_SCHEMA_SQL + SAMPLES_SETPOINT_SQL);
});
afterEach(() => db.close());

const reading = fc.option(
  fc.integer({ min: -550, max: 1250 }).map((x) => x / 10),
  { nil: null },
);
const sample = fc.record({
  zone: fc.constantFrom('Z1', 'Z2', 'hot_water'),
  ts: fc.integer({ min: 0, max: 8_640_000_000_000 }),
  room_c: reading,
  pipe_c: reading,
  outdoor_c: reading,
  output: fc.boolean(),
  setpoint_c: fc.option(fc.constantFrom(16, 18.5, 21), { nil: null }),
});

describe('schema', () => {
  it('creates STRICT events, samples and rollup tables', () => {
    const rows = db.pragma('table_list') as { schema: string; name: string; strict: number }[];
    const strict = rows.filter((r) => r.schema === 'main' && !r.name.startsWith('sqlite_')).map((r) => [r.name, r.strict]);
    expect(strict.sort()).toEqual([
      ['events', 1],
      ['samples', 1],
      ['samples_15m', 1],
      ['samples_1d', 1],
      ['samples_1h', 1],
    ]);
  });
});

describe('SAMPLE events', () => {
  it('carry a sample there and back', () => {
    fc.assert(
      fc.property(sample, fc.integer({ min: 1, max: 1e9 }), (s, seq) => {
        const event: EventEntry = { seq, ...sampleEvent(s) };
        expect(event.event).toBe('SAMPLE');
        expect(event.detail).toBe(s.output ? SAMPLE_DETAIL.on : SAMPLE_DETAIL.off);
        expect(sampleFromEvent(event)).toEqual(s);
      }),
    );
  });

  it('yield no sample from another kind, a missing zone or an unknown detail', () => {
    const e: EventEntry = { seq: 1, ...sampleEvent({ zone: 'Z1', ts: T0, room_c: 20, pipe_c: null, outdoor_c: null, output: true }) };
    expect(sampleFromEvent(e)).not.toBeNull();
    expect(sampleFromEvent({ ...e, event: 'ON' })).toBeNull();
    expect(sampleFromEvent({ ...e, zone: null })).toBeNull();
    expect(sampleFromEvent({ ...e, detail: null })).toBeNull();
    expect(sampleFromEvent({ ...e, detail: 'ON' })).toBeNull();
  });
});

describe('SampleLog', () => {
  it('stores each zone and instant once, returning only what it stored, in order', () => {
    const log = new SampleLog(db);
    const a: Sample = { zone: 'Z1', ts: T0, room_c: 20, pipe_c: null, outdoor_c: 1, output: true };
    const b: Sample = { ...a, ts: T0 + MINUTE, room_c: 22, output: false };
    expect(log.record([a])).toEqual([a]);
    expect(log.record([{ ...a, room_c: 99 }, b, { ...b, room_c: 99 }, { ...a, zone: 'Z2' }])).toEqual([b, { ...a, zone: 'Z2' }]);
    expect(db.prepare(`SELECT n, on_n, room_n, room_sum, room_min, room_max FROM samples_15m WHERE zone = 'Z1'`).all()).toEqual([
      { n: 2, on_n: 1, room_n: 2, room_sum: 42, room_min: 20, room_max: 22 },
    ]);
    expect(log.history('Z1', T0, T0 + 15 * MINUTE, 1)).toEqual([{ ts: T0, room_c: 21, pipe_c: null, outdoor_c: 1, setpoint_c: null, duty: 0.5 }]);
  });

  it('writes nothing of a batch a row of which the table refuses', () => {
    const log = new SampleLog(db);
    const good: Sample = { zone: 'Z1', ts: T0, room_c: 20, pipe_c: null, outdoor_c: null, output: true };
    expect(() => log.record([good, { ...good, ts: -1 }])).toThrow(/CHECK/);
    expect(db.prepare('SELECT (SELECT count(*) FROM samples) + (SELECT count(*) FROM samples_15m) + (SELECT count(*) FROM samples_1d) AS n').get()).toEqual({ n: 0 });
  });

  it('sums each tier’s deltas to the batch: every sample counted once per tier', () => {
    fc.assert(
      fc.property(fc.array(sample, { maxLength: 50 }), (samples) => {
        const deltas = rollupDeltas(samples);
        for (const table of ['samples_15m', 'samples_1h', 'samples_1d'] as const) {
          const mine = deltas.filter((d) => d.table === table);
          expect(mine.reduce((n, d) => n + d.row.n, 0)).toBe(samples.length);
          expect(mine.reduce((n, d) => n + d.row.on_n, 0)).toBe(samples.filter((s) => s.output).length);
          expect(new Set(mine.map((d) => `${d.row.zone}/${d.row.bucket}`)).size).toBe(mine.length);
        }
      }),
    );
  });

  it('refuses points outside 1 to 2,000 and instants that are not whole milliseconds', () => {
    const log = new SampleLog(db);
    expect(log.history('Z1', 0, T0, 10)).toEqual([]);
    expect(() => log.history('Z1', 0, T0, 0)).toThrow(RangeError);
    expect(() => log.history('Z1', 0, T0, 2001)).toThrow(RangeError);
    expect(() => log.history('Z1', 0.5, T0, 10)).toThrow(RangeError);
  });
});

describe('setpoint history', () => {
  const HOUR = 60 * MINUTE;
  const at = (ts: number, setpoint_c: number | null, zone = 'Z1'): Sample => ({ zone, ts, room_c: 20, pipe_c: null, outdoor_c: null, output: false, setpoint_c });

  it('keeps each bucket’s last setpoint, not an average, whatever order and batches the samples come in', () => {
    const log = new SampleLog(db);
    // 18 then 21 inside one 15-minute bucket, then a sample with none (the zone left AUTO); the latest first.
    log.record([at(T0 + 10 * MINUTE, null)]);
    log.record([at(T0 + 5 * MINUTE, 21)]);
    log.record([at(T0, 18)]);
    for (const t of ['samples_15m', 'samples_1h', 'samples_1d']) {
      expect(db.prepare(`SELECT setpoint_last, setpoint_ts FROM ${t}`).all(), t).toEqual([{ setpoint_last: 21, setpoint_ts: T0 + 5 * MINUTE }]);
    }
    // From the rollup: 21 (an average would have said 19.5, a value never in force); from raw rows each its own.
    expect(log.history('Z1', T0, T0 + 15 * MINUTE, 1).map((p) => p.setpoint_c)).toEqual([21]);
    expect(log.history('Z1', T0, T0 + 15 * MINUTE, 3).map((p) => [p.ts, p.setpoint_c])).toEqual([
      [T0, 18],
      [T0 + 5 * MINUTE, 21],
      [T0 + 10 * MINUTE, null],
    ]);
  });

  it('draws a day of schedule steps from the hourly tier, the raw edges and the daily tier alike', () => {
    const log = new SampleLog(db);
    // Every minute of two days: 16 °C at night, 21 °C from 06:00 to 22:00; Z14 (on/off) has none.
    const samples: Sample[] = [];
    for (let ts = T0; ts < T0 + 48 * HOUR; ts += MINUTE) {
      const hour = ((ts - T0) / HOUR) % 24;
      samples.push(at(ts, hour >= 6 && hour < 22 ? 21 : 16), at(ts, null, 'Z14'));
    }
    for (let i = 0; i < samples.length; i += 500) log.record(samples.slice(i, i + 500));
    const hourly = log.history('Z1', T0, T0 + 48 * HOUR, 48);
    expect(hourly).toHaveLength(48);
    for (const p of hourly) {
      const hour = ((p.ts - T0) / HOUR) % 24;
      expect(p.setpoint_c, `hour ${hour}`).toBe(hour >= 6 && hour < 22 ? 21 : 16);
    }
    // A window with ragged edges (raw samples at both ends, the 15-minute and hourly tiers between).
    const ragged = log.history('Z1', T0 + 5 * HOUR + 50 * MINUTE, T0 + 22 * HOUR + 7 * MINUTE, 17);
    expect(ragged[0]?.setpoint_c).toBe(21); // the bucket 05:50-06:50 ends at 21
    expect(ragged.at(-1)?.setpoint_c).toBe(16); // the last bucket holds 22:00 on
    // A point a day: each day's last setpoint (16 at 23:59).
    expect(log.history('Z1', T0, T0 + 48 * HOUR, 2).map((p) => p.setpoint_c)).toEqual([16, 16]);
    expect(log.history('Z14', T0, T0 + 48 * HOUR, 48).every((p) => p.setpoint_c === null && p.room_c === 20)).toBe(true);
  });
});

describe('eventQuerySql', () => {
  it('matches nothing for an empty list of kinds, and checks the limit and the kinds', () => {
    expect(eventQuerySql({ event: [] })).toBeNull();
    expect(() => eventQuerySql({ limit: MAX_QUERY_EVENTS + 1 })).toThrow(RangeError);
    expect(() => eventQuerySql({ limit: 0 })).toThrow(RangeError);
    expect(() => eventQuerySql({ event: ['ON', 'BOOM' as 'ON'] })).toThrow(ValidationError);
  });

  it('gives one SQL text for a list of kinds however often a kind repeats', () => {
    const a = eventQuerySql({ event: ['ON', 'OFF'] });
    const b = eventQuerySql({ event: ['ON', 'OFF', 'ON', 'OFF', 'ON'] });
    expect(b).toEqual(a);
    expect(a?.params).toEqual(['ON', 'OFF', 100]);
  });
});
