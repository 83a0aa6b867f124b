import { AgentStore, type Sample } from '../../agent/src/store/index.js';

/**
 * Appends `count` SAMPLE events to a live agent's database from another process, as if they
 * had been logged while the relay was away (the store's transactions make this safe beside
 * the agent's own writes). Timestamps lie two months back (inside the retention) so they never collide with live samples.
 */
export function seedSamples(dbPath: string, count: number, startTs = Date.now() - 60 * 24 * 3600_000): { first: number; last: number } {
  const store = AgentStore.open(dbPath);
  try {
    const zones = Array.from({ length: 14 }, (_, i) => `Z${i + 1}`);
    let first = 0;
    let last = 0;
    for (let done = 0; done < count; ) {
      const n = Math.min(5000, count - done);
      const batch: Sample[] = [];
      for (let i = 0; i < n; i++) {
        const k = done + i;
        batch.push({
          zone: zones[k % 14] as string,
          ts: startTs + Math.floor(k / 14) * 60_000,
          room_c: 18 + (k % 50) / 10,
          pipe_c: 30 + (k % 40) / 4,
          outdoor_c: -10 + (k % 30) / 3,
          output: k % 3 === 0,
        });
      }
      const events = store.recordSamples(batch);
      if (first === 0) first = events[0]?.seq ?? 0;
      last = events[events.length - 1]?.seq ?? last;
      done += n;
    }
    return { first, last };
  } finally {
    store.close();
  }
}

export function pruneTo(dbPath: string, keep: number): number {
  const store = AgentStore.open(dbPath);
  try {
    let removed = 0;
    for (let r = store.pruneEvents(keep); r > 0; r = store.pruneEvents(keep)) removed += r;
    return removed;
  } finally {
    store.close();
  }
}
