import { describe, expect, it } from 'vitest';
import { OUTBOX_WINDOW, type AgentStore, type NewEvent } from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

function fill(store: AgentStore, count: number, ts: (i: number) => number = (i) => i): void {
  const rows: NewEvent[] = Array.from({ length: count }, (_, i) => ({
    ts: ts(i),
    source: 'sampler',
    zone: 'Z1',
    event: 'SAMPLE',
    room_c: 20,
    pipe_c: null,
    outdoor_c: null,
    duration_s: null,
    detail: 'off',
  }));
  store.appendEvents(rows);
}

function eventCount(store: AgentStore): number {
  const oldest = store.oldestSeq();
  return oldest === null ? 0 : store.lastSeq() - oldest + 1;
}

describe('pruneEvents', () => {
  it('never keeps fewer than the outbox window, whatever it is asked', () => {
    const store = files.openStore();
    fill(store, 12_000);
    expect(store.pruneEvents(0)).toBe(2_000);
    expect(store.oldestSeq()).toBe(12_000 - OUTBOX_WINDOW + 1);
    expect(store.lastSeq()).toBe(12_000);
    expect(store.pruneEvents(0)).toBe(0);
    expect(store.eventsAfter(store.lastSeq() - OUTBOX_WINDOW, OUTBOX_WINDOW)).toHaveLength(OUTBOX_WINDOW);
  });

  it('keeps more than the window when asked to', () => {
    const store = files.openStore();
    fill(store, 12_000);
    expect(store.pruneEvents(11_500)).toBe(500);
    expect(store.oldestSeq()).toBe(501);
  });

  it('keeps the seq high-water mark: the next event after pruning continues, even from an emptied log', () => {
    const store = files.openStore();
    fill(store, 12_000);
    store.pruneEvents(0);
    fill(store, 1);
    expect(store.lastSeq()).toBe(12_001);
    expect(store.eventsAfter(12_000, 5).map((e) => e.seq)).toEqual([12_001]);
    // Even if every row were gone, a seq is never handed out twice.
    files.raw().prepare('DELETE FROM events').run();
    expect(store.oldestSeq()).toBeNull();
    fill(store, 2);
    expect(store.eventsAfter(0, 10).map((e) => e.seq)).toEqual([12_002, 12_003]);
  });

  it('with a retention age, keeps everything from the first event at or after the cutoff', () => {
    const store = files.openStore();
    fill(store, 15_000, (i) => i * 1000);
    // The window alone would free seqs 1..5000; the age only frees events before ts 3,000,000 (seqs 1..3000).
    expect(store.pruneEvents(0, { olderThan: 3_000_000 })).toBe(3_000);
    expect(store.oldestSeq()).toBe(3_001);
    // A later cutoff is held back by the window instead.
    expect(store.pruneEvents(0, { olderThan: 14_000_000 })).toBe(2_000);
    expect(store.oldestSeq()).toBe(5_001);
  });

  it('deletes only a prefix, so the kept log stays contiguous when clocks went backwards', () => {
    const store = files.openStore();
    // Event 101 carries a late timestamp (a clock that stepped back afterwards).
    fill(store, 12_000, (i) => (i === 100 ? 50_000_000 : i));
    expect(store.pruneEvents(0, { olderThan: 10_000_000 })).toBe(100);
    expect(store.oldestSeq()).toBe(101);
    expect(eventCount(store)).toBe(11_900);
    const all = store.eventsAfter(100, OUTBOX_WINDOW);
    expect(all.every((e, i) => e.seq === 101 + i)).toBe(true);
  });

  it('deletes at most maxRows a call, so one call never stalls the control loop', () => {
    const store = files.openStore();
    fill(store, 13_000);
    expect(store.pruneEvents(0, { maxRows: 1_200 })).toBe(1_200);
    expect(store.pruneEvents(0, { maxRows: 1_200 })).toBe(1_200);
    expect(store.pruneEvents(0, { maxRows: 1_200 })).toBe(600);
    expect(store.pruneEvents(0, { maxRows: 1_200 })).toBe(0);
    expect(store.oldestSeq()).toBe(3_001);
  });

  it('is a no-op on a short or empty log', () => {
    const store = files.openStore();
    expect(store.pruneEvents(0)).toBe(0);
    fill(store, 50);
    expect(store.pruneEvents(0, { olderThan: Number.MAX_SAFE_INTEGER })).toBe(0);
    expect(store.oldestSeq()).toBe(1);
  });
});

describe('integrityCheck', () => {
  it('passes a sound file and notices a high-water mark below the log', () => {
    const store = files.openStore();
    fill(store, 10);
    expect(store.integrityCheck()).toEqual([]);
    expect(store.integrityCheck({ quick: true })).toEqual([]);
    files.raw().prepare(`UPDATE meta SET value = 5 WHERE key = 'last_event_seq'`).run();
    expect(store.integrityCheck()).toEqual([expect.stringContaining('seq 10 above the high-water mark 5')]);
  });

  it('reports the size of the file, which grows with what is written', () => {
    const store = files.openStore();
    const before = store.dbSizeBytes();
    expect(before).toBeGreaterThan(0);
    fill(store, 5_000);
    expect(store.dbSizeBytes()).toBeGreaterThan(before);
  });
});
