import { describe, expect, it } from 'vitest';
import { OUTBOX_WINDOW, type AgentStore, type NewEvent, type Sample } from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

const T0 = Date.UTC(2025, 0, 6);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ZONES = ['Z1', 'Z2', 'Z3', 'Z4'];

/**
 * `days` of one sample a minute per zone from `from`, a day a transaction, with an ON event each hour.
 * An hour's samples go to the store in one call, then that hour's ON event (what is pruned and kept
 * does not depend on the batching; the per-call overhead of 1,440 calls a day made this file slow).
 */
function fill(store: AgentStore, from: number, days: number): void {
  for (let d = 0; d < days; d++) {
    store.transaction(() => {
      for (let h = 0; h < 24; h++) {
        const hourStart = from + d * DAY + h * 60 * MINUTE;
        store.appendEvents([{ ts: hourStart, source: 'control', zone: 'Z1', event: 'ON', room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: null } satisfies NewEvent]);
        const samples: Sample[] = [];
        for (let m = 0; m < 60; m++) {
          const ts = hourStart + m * MINUTE;
          for (const zone of ZONES) samples.push({ zone, ts, room_c: 19 + m / 100, pipe_c: 40, outdoor_c: -3, output: (h * 60 + m) % 20 < 7 });
        }
        store.recordSamples(samples);
      }
    });
  }
}

function pruneAll(store: AgentStore, olderThan: number): { samples: number; events: number } {
  const total = { samples: 0, events: 0 };
  for (;;) {
    const r = store.pruneSamples(olderThan, 2000);
    total.samples += r.samples;
    total.events += r.events;
    if (r.samples < 2000 && r.events < 2000) return total;
  }
}

describe('pruneSamples (raw sample retention)', () => {
  it('removes raw samples and their SAMPLE events past the cutoff, keeps rollups, ON events and the outbox window', () => {
    const store = files.openStore();
    fill(store, T0, 5);
    const last = store.lastSeq();
    const oldHistory = store.history('Z3', T0, T0 + 3 * DAY, 72);
    const removed = pruneAll(store, T0 + 3 * DAY);
    expect(removed.samples).toBe(3 * 1440 * ZONES.length);
    expect(removed.events).toBe(3 * 1440 * ZONES.length);
    const raw = files.raw();
    expect(raw.prepare('SELECT count(*) FROM samples WHERE ts < ?').pluck().get(T0 + 3 * DAY)).toBe(0);
    expect(raw.prepare(`SELECT count(*) FROM events WHERE event = 'SAMPLE' AND ts < ?`).pluck().get(T0 + 3 * DAY)).toBe(0);
    expect(raw.prepare(`SELECT count(*) FROM events WHERE event = 'ON'`).pluck().get()).toBe(5 * 24);
    // The pruned days still answer from the rollups, exactly as before.
    expect(store.history('Z3', T0, T0 + 3 * DAY, 72)).toEqual(oldHistory);
    // seqs are never reused, and the log is whole from the first seq after the pruned SAMPLE events.
    expect(store.lastSeq()).toBe(last);
    const from = store.completeFromSeq()!;
    expect(from).toBeGreaterThan(store.oldestSeq()!);
    const whole = store.eventsAfter(from - 1, OUTBOX_WINDOW);
    for (let i = 1; i < whole.length; i++) expect(whole[i]!.seq).toBe(whole[i - 1]!.seq + 1);
    expect(store.integrityCheck()).toEqual([]);
  });

  it('never prunes SAMPLE events inside the newest outbox window', () => {
    const store = files.openStore();
    fill(store, T0, 3);
    // Everything is "old", but the newest OUTBOX_WINDOW events must stay for the relay.
    pruneAll(store, T0 + 10 * DAY);
    const raw = files.raw();
    expect(raw.prepare('SELECT count(*) FROM samples').pluck().get()).toBe(0);
    const kept = raw.prepare(`SELECT count(*) FROM events WHERE seq > ?`).pluck().get(store.lastSeq() - OUTBOX_WINDOW);
    expect(kept).toBe(OUTBOX_WINDOW);
    expect(store.completeFromSeq()).toBe(store.lastSeq() - OUTBOX_WINDOW + 1);
  });

  it('keeps the file flat once past the window: freed pages are reused', () => {
    const store = files.openStore();
    const WINDOW = 4;
    fill(store, T0, WINDOW + 1);
    pruneAll(store, T0 + DAY);
    const raw = files.raw();
    const pages = () => {
      raw.pragma('wal_checkpoint(TRUNCATE)');
      return Number(raw.pragma('page_count', { simple: true }));
    };
    const settled = pages();
    const sizes: number[] = [];
    for (let d = WINDOW + 1; d < WINDOW + 9; d++) {
      fill(store, T0 + d * DAY, 1);
      pruneAll(store, T0 + (d + 1 - WINDOW) * DAY);
      sizes.push(pages());
    }
    // Eight more days written and pruned add less than one day of raw data would: what grows is the
    // rollups and ON events (a few hundred rows a day, kept for good). Unpruned, it would be eight days.
    const dayPages = settled / WINDOW;
    expect(Math.max(...sizes) - settled).toBeLessThan(dayPages);
    // And the growth slows as freed pages are reused: the last day adds less than the first.
    expect(sizes[7]! - sizes[6]!).toBeLessThan(sizes[0]! - settled);
  });
});
