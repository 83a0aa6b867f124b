import { describe, expect, it } from 'vitest';
import { ValidationError } from '@boiler/shared';
import { EVENT_RING_CAPACITY, EventRing } from '../../src/cache/index.js';
import { eventEntry } from './fixtures.js';

const seqs = (events: readonly { seq: number }[] | null): number[] | null => (events === null ? null : events.map((e) => e.seq));

describe('EventRing', () => {
  it('keeps the last 1000 events by default, dropping the oldest', () => {
    const ring = new EventRing();
    expect(ring.capacity).toBe(EVENT_RING_CAPACITY);
    expect(EVENT_RING_CAPACITY).toBe(1000);
    ring.push(Array.from({ length: 1005 }, (_, i) => eventEntry(i + 1)));
    expect(ring.length).toBe(1000);
    expect(ring.range()).toEqual({ oldest: 6, newest: 1005 });
    expect(seqs(ring.query({ limit: 1000 }))?.slice(0, 3)).toEqual([1005, 1004, 1003]);
    expect(seqs(ring.query({ limit: 1000 }))?.at(-1)).toBe(6);
    expect(ring.query({ limit: 1001 })).toBeNull();
  });

  it('answers newest first by zone, site-wide (zone null), kind, time and seq, when it holds `limit` matches', () => {
    const ring = new EventRing(10);
    ring.push([
      eventEntry(1, 'Z1', 'ON'),
      eventEntry(2, 'Z2', 'SAMPLE'),
      eventEntry(3, null, 'ALERT'),
      eventEntry(4, 'Z1', 'OFF'),
      eventEntry(5, 'Z1', 'SAMPLE'),
      eventEntry(6, 'Z2', 'ON'),
    ]);
    expect(seqs(ring.query({ zone: 'Z1', limit: 3 }))).toEqual([5, 4, 1]);
    expect(seqs(ring.query({ zone: null, limit: 1 }))).toEqual([3]);
    expect(seqs(ring.query({ event: 'ON', limit: 2 }))).toEqual([6, 1]);
    expect(seqs(ring.query({ event: ['ON', 'OFF'], zone: 'Z1', limit: 2 }))).toEqual([4, 1]);
    expect(seqs(ring.query({ beforeSeq: 5, limit: 2 }))).toEqual([4, 3]);
    const ts = eventEntry(4).ts;
    expect(seqs(ring.query({ from: ts, to: ts + 2000, limit: 2 }))).toEqual([5, 4]);
    expect(ring.query({ event: [], limit: 5 })).toEqual([]);
  });

  it('says it cannot answer (null) when fewer than `limit` match, since older events may match', () => {
    const ring = new EventRing(10);
    ring.push([eventEntry(7, 'Z1'), eventEntry(8, 'Z2')]);
    expect(ring.query({ zone: 'Z1', limit: 2 })).toBeNull();
    expect(ring.query({ beforeSeq: 7, limit: 1 })).toBeNull();
    expect(new EventRing().query({ limit: 1 })).toBeNull();
  });

  it('uses 100 as the default limit, like the replica', () => {
    const ring = new EventRing(200);
    ring.push(Array.from({ length: 99 }, (_, i) => eventEntry(i + 1)));
    expect(ring.query({})).toBeNull();
    ring.push([eventEntry(100), eventEntry(101)]);
    expect(seqs(ring.query({}))).toHaveLength(100);
  });

  it('skips seqs it already holds and starts over at a gap, so it never holds a hole', () => {
    const ring = new EventRing(10);
    ring.push([eventEntry(1), eventEntry(2), eventEntry(3)]);
    ring.push([eventEntry(2, 'Z9'), eventEntry(3, 'Z9'), eventEntry(4)]);
    expect(seqs(ring.query({ limit: 4 }))).toEqual([4, 3, 2, 1]);
    expect(ring.query({ zone: 'Z9', limit: 1 })).toBeNull();
    ring.push([eventEntry(10), eventEntry(11)]);
    expect(ring.range()).toEqual({ oldest: 10, newest: 11 });
    expect(ring.query({ limit: 3 })).toBeNull();
  });

  it('validates a query as the replica does', () => {
    const ring = new EventRing(10);
    ring.push([eventEntry(1)]);
    expect(() => ring.query({ limit: 0 })).toThrow(RangeError);
    expect(() => ring.query({ event: 'BOOM' as never, limit: 1 })).toThrow(ValidationError);
  });

  it('hands out frozen copies, so a caller cannot change what it holds', () => {
    const ring = new EventRing(10);
    const original = eventEntry(1);
    ring.push([original]);
    original.detail = 'changed after push';
    const [held] = ring.query({ limit: 1 }) ?? [];
    expect(held?.detail).toBeNull();
    expect(Object.isFrozen(held)).toBe(true);
  });
});
