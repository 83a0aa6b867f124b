import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ValidationError, type EventEntry, type EventKind } from '@boiler/shared';
import { MAX_QUERY_EVENTS, OUTBOX_WINDOW, type EventQuery, type NewEvent } from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

function event(ts: number, overrides: Partial<NewEvent> = {}): NewEvent {
  return {
    ts,
    source: 'control',
    zone: 'Z1',
    event: 'ON',
    room_c: 19.5,
    pipe_c: 45,
    outdoor_c: -3,
    setpoint_c: null,
    duration_s: null,
    detail: null,
    ...overrides,
  };
}

function seqs(events: readonly EventEntry[]): number[] {
  return events.map((e) => e.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe('event seqs', () => {
  it('numbers events 1, 2, 3 … and returns them as stored', () => {
    const store = files.openStore();
    expect(store.lastSeq()).toBe(0);
    expect(store.oldestSeq()).toBeNull();
    const written = store.appendEvents([event(10), event(20, { event: 'OFF', duration_s: 600, detail: 'setpoint reached' })]);
    expect(seqs(written)).toEqual([1, 2]);
    expect(written[1]).toEqual({ seq: 2, ...event(20, { event: 'OFF', duration_s: 600, detail: 'setpoint reached' }) });
    expect(store.eventsAfter(0, 10)).toEqual(written);
    expect(store.lastSeq()).toBe(2);
    expect(store.oldestSeq()).toBe(1);
  });

  it('stays strictly increasing with no gap across many appends, rolled-back transactions and re-opens', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({ size: fc.integer({ min: 0, max: 20 }), rollBack: fc.boolean(), reopen: fc.boolean() }),
          { minLength: 1, maxLength: 15 },
        ),
        (steps) => {
          let store = files.openStore('prop.db');
          const base = store.lastSeq();
          let expected = base;
          for (const step of steps) {
            const rows = Array.from({ length: step.size }, (_, i) => event(1000 + i));
            if (step.rollBack) {
              expect(() =>
                store.transaction(() => {
                  store.appendEvents(rows);
                  throw new Error('state change failed');
                }),
              ).toThrow('state change failed');
            } else {
              const written = store.appendEvents(rows);
              expect(seqs(written)).toEqual(range(expected + 1, expected + step.size));
              expected += step.size;
            }
            expect(store.lastSeq()).toBe(expected);
            if (step.reopen) {
              store.close();
              store = files.openStore('prop.db');
            }
          }
          const all = store.eventsAfter(base, OUTBOX_WINDOW);
          expect(seqs(all)).toEqual(range(base + 1, expected));
          store.close();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('gives no seq to a batch that fails validation, and writes none of it', () => {
    const store = files.openStore();
    store.appendEvents([event(1)]);
    expect(() => store.appendEvents([event(2), event(3, { zone: 'not a zone!' })])).toThrow(ValidationError);
    expect(() => store.appendEvents([event(2, { room_c: 300 })])).toThrow(ValidationError);
    expect(store.lastSeq()).toBe(1);
    expect(seqs(store.appendEvents([event(4)]))).toEqual([2]);
  });

  it('rolls back an append together with the rest of an outer transaction', () => {
    const store = files.openStore();
    const raw = files.raw();
    expect(() =>
      store.transaction(() => {
        store.appendEvents([event(1)]);
        store.setSchedule('Z1', { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] }, 1);
        store.transaction(() => store.appendEvents([event(2)]));
        throw new Error('relay write failed');
      }),
    ).toThrow('relay write failed');
    expect(raw.prepare('SELECT count(*) AS n FROM events').get()).toEqual({ n: 0 });
    expect(store.loadSettings().settings.zone_schedules.has('Z1')).toBe(false);
    expect(store.lastSeq()).toBe(0);
  });
});

describe('eventsAfter (the outbox read)', () => {
  it('pages through the log in order without skipping or repeating', () => {
    const store = files.openStore();
    store.appendEvents(Array.from({ length: 250 }, (_, i) => event(i)));
    const pages: number[][] = [];
    let after = 0;
    for (;;) {
      const page = store.eventsAfter(after, 100);
      if (page.length === 0) break;
      pages.push(seqs(page));
      after = page[page.length - 1]?.seq ?? after;
    }
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(pages.flat()).toEqual(range(1, 250));
    expect(seqs(store.eventsAfter(137, 3))).toEqual([138, 139, 140]);
    expect(store.eventsAfter(250, 100)).toEqual([]);
  });

  it('refuses limits outside 1 to the outbox window', () => {
    const store = files.openStore();
    expect(() => store.eventsAfter(0, 0)).toThrow(RangeError);
    expect(() => store.eventsAfter(0, OUTBOX_WINDOW + 1)).toThrow(RangeError);
    expect(() => store.eventsAfter(-1, 10)).toThrow(RangeError);
  });
});

describe('queryEvents', () => {
  const zones = ['Z1', 'Z2', 'Z3', null] as const;
  const kinds: readonly EventKind[] = ['ON', 'OFF', 'SAMPLE', 'ALERT', 'COMMAND'];

  function naive(all: readonly EventEntry[], q: EventQuery): EventEntry[] {
    const kindsWanted = q.event === undefined ? undefined : typeof q.event === 'string' ? [q.event] : q.event;
    return all
      .filter(
        (e) =>
          (q.zone === undefined || e.zone === q.zone) &&
          (kindsWanted === undefined || kindsWanted.includes(e.event)) &&
          (q.from === undefined || e.ts >= q.from) &&
          (q.to === undefined || e.ts < q.to) &&
          (q.beforeSeq === undefined || e.seq < q.beforeSeq),
      )
      .sort((a, b) => b.seq - a.seq)
      .slice(0, q.limit ?? 100);
  }

  it('matches a plain filter over the whole log, newest first, for any combination of filters', () => {
    const store = files.openStore();
    // Timestamps are not in seq order (a clock can step back), so ts filters cannot lean on seq.
    const rows = Array.from({ length: 600 }, (_, i) =>
      event(((i * 7919) % 600) * 1000, {
        zone: zones[i % zones.length] ?? null,
        event: kinds[(i * 3) % kinds.length] ?? 'ON',
        source: i % 2 === 0 ? 'control' : 'system',
      }),
    );
    const all = store.appendEvents(rows);
    const query = fc.record(
      {
        zone: fc.constantFrom(...zones),
        event: fc.oneof(fc.constantFrom(...kinds), fc.subarray([...kinds], { minLength: 1 })),
        from: fc.integer({ min: 0, max: 600_000 }),
        to: fc.integer({ min: 0, max: 600_000 }),
        beforeSeq: fc.integer({ min: 1, max: 650 }),
        limit: fc.integer({ min: 1, max: 300 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(query, (q) => {
        const got = store.queryEvents(q);
        expect(got).toEqual(naive(all, q));
        expect(got.length).toBeLessThanOrEqual(q.limit ?? 100);
      }),
      { numRuns: 300 },
    );
  });

  it('pages backwards with beforeSeq', () => {
    const store = files.openStore();
    store.appendEvents(Array.from({ length: 30 }, (_, i) => event(i, { zone: i % 2 === 0 ? 'Z1' : 'Z2' })));
    const first = store.queryEvents({ zone: 'Z1', limit: 4 });
    expect(seqs(first)).toEqual([29, 27, 25, 23]);
    const next = store.queryEvents({ zone: 'Z1', limit: 4, beforeSeq: first[first.length - 1]?.seq ?? 0 });
    expect(seqs(next)).toEqual([21, 19, 17, 15]);
  });

  it('returns nothing for an empty list of kinds and refuses limits beyond 2,000', () => {
    const store = files.openStore();
    store.appendEvents([event(1)]);
    expect(store.queryEvents({ event: [] })).toEqual([]);
    expect(store.queryEvents({}).length).toBe(1);
    expect(MAX_QUERY_EVENTS).toBe(2000);
    expect(() => store.queryEvents({ limit: 2001 })).toThrow(RangeError);
    expect(() => store.queryEvents({ limit: 0 })).toThrow(RangeError);
    expect(() => store.queryEvents({ event: ['NOPE' as EventKind] })).toThrow(ValidationError);
  });

  it('answers a zone and kind query from an index, not a scan of the log', () => {
    files.openStore();
    const raw = files.raw();
    const plan = (sql: string) =>
      (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all('Z1', 'ON', 10) as { detail: string }[]).map((r) => r.detail).join('\n');
    const detail = plan('SELECT * FROM events WHERE zone = ? AND event IN (?) ORDER BY seq DESC LIMIT ?');
    expect(detail).toMatch(/SEARCH events USING INDEX events_zone_event_seq/);
    expect(detail).not.toMatch(/TEMP B-TREE/);
  });
});
