import { describe, expect, it } from 'vitest';
import type { Sample } from '@boiler/service';
import { AgentStore, PendingWrites, openDatabase, type NewEvent } from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

const event = (ts: number, kind: 'ON' | 'OFF' | 'ALERT' = 'ON'): NewEvent => ({
  ts,
  source: 'control',
  zone: 'Z1',
  event: kind,
  room_c: null,
  pipe_c: null,
  outdoor_c: null,
  duration_s: null,
  detail: `${kind} at ${ts}`,
});
const sample = (ts: number, zone = 'Z1'): Sample => ({ zone, ts, room_c: 19, pipe_c: null, outdoor_c: -4, output: false });

describe('PendingWrites', () => {
  it('writes what waited in the order it was made, seqs given on the way in, and removes it only on discard', () => {
    const store = files.openStore();
    store.appendEvents([event(1)]);
    const q = new PendingWrites(100);
    q.pushEvents([event(10)]);
    q.pushSamples([sample(20), sample(20, 'Z2')]);
    q.pushEvents([event(30, 'OFF'), event(31, 'ALERT')]);
    q.pushSamples([sample(40)]);
    const written = q.write(store);
    expect(written.count).toBe(6);
    expect(written.events.map((e) => [e.seq, e.event, e.ts])).toEqual([
      [2, 'ON', 10],
      [3, 'SAMPLE', 20],
      [4, 'SAMPLE', 20],
      [5, 'OFF', 30],
      [6, 'ALERT', 31],
      [7, 'SAMPLE', 40],
    ]);
    expect(q.size()).toBe(6); // not yet discarded
    q.discard(written.count);
    expect(q.size()).toBe(0);
    expect(store.history('Z1', 0, 100, 10).length).toBeGreaterThan(0);
  });

  it('loses nothing when the write fails: the queue is as it was, and a later write stores it all', () => {
    const db = openDatabase(files.path('readonly.db'));
    const store = new AgentStore(db);
    try {
      const q = new PendingWrites(100);
      q.pushEvents([event(10)]);
      q.pushSamples([sample(20)]);
      db.pragma('query_only = ON'); // SQLITE_READONLY, as after a read-only remount
      expect(() => q.write(store)).toThrow(/readonly/);
      expect(q.size()).toBe(2);
      db.pragma('query_only = OFF');
      const written = q.write(store);
      q.discard(written.count);
      expect(written.events.map((e) => [e.seq, e.event])).toEqual([
        [1, 'ON'],
        [2, 'SAMPLE'],
      ]);
      expect(q.size()).toBe(0);
    } finally {
      store.close();
    }
  });

  it('drops the oldest samples first past the bound, then the oldest events, counting each', () => {
    const q = new PendingWrites(4);
    q.pushEvents([event(1)]);
    q.pushSamples([sample(2), sample(3)]);
    q.pushEvents([event(4, 'OFF')]);
    q.pushSamples([sample(5)]); // 5 > 4: sample(2) goes
    expect(q.dropped).toEqual({ samples: 1, events: 0, invalid: 0 });
    q.pushEvents([event(6, 'ALERT'), event(7)]); // samples 3 and 5 go
    expect(q.dropped).toEqual({ samples: 3, events: 0, invalid: 0 });
    q.pushEvents([event(8, 'OFF')]); // no samples left: the oldest event (1) goes
    expect(q.dropped).toEqual({ samples: 3, events: 1, invalid: 0 });
    const store = files.openStore();
    const written = q.write(store);
    expect(written.events.map((e) => e.ts)).toEqual([4, 6, 7, 8]);
    expect(written.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });

  it('refuses (and counts) a write the store would never accept, so it cannot block the queue', () => {
    const q = new PendingWrites(10);
    const problems = q.pushEvents([{ ...event(1), detail: 'x'.repeat(501) }, event(2)]);
    expect(problems).toHaveLength(1);
    expect(q.pushSamples([{ ...sample(3), zone: '' }])).toHaveLength(1);
    expect(q.size()).toBe(1);
    expect(q.dropped.invalid).toBe(2);
  });
});
