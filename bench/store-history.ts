/**
 * Builds a year of 1-minute samples for one zone (525,600 rows, through recordSamples, so the
 * rollups and SAMPLE events are written as in production) and times history queries over it.
 * Run: `npx tsx bench/store-history.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentStore, type Sample } from '../agent/src/store/index.js';

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;
const start = Date.UTC(2024, 0, 1);

function yearOfSamples(zone: string): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < YEAR / MINUTE; i++) {
    const ts = start + i * MINUTE;
    const day = Math.sin((2 * Math.PI * i) / 1440);
    out.push({ zone, ts, room_c: 20 + day, pipe_c: 40 + 5 * day, outdoor_c: -5 + 8 * day, output: i % 7 < 3 });
  }
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
}

const dir = mkdtempSync(join(tmpdir(), 'store-history-'));
const store = AgentStore.open(join(dir, 'agent.db'));
try {
  const samples = yearOfSamples('Z1');
  let t0 = performance.now();
  for (let i = 0; i < samples.length; i += 10_000) store.recordSamples(samples.slice(i, i + 10_000));
  console.log(`recordSamples of ${samples.length} rows, 10,000 a transaction: ${(performance.now() - t0).toFixed(0)} ms`);
  for (const [label, from, to, points] of [
    ['year, 1000 points', start, start + YEAR, 1000],
    ['year, 2000 points', start, start + YEAR, 2000],
    ['year, unaligned, 1000 points', start + 7 * MINUTE, start + YEAR - 13 * MINUTE, 1000],
    ['month, 1000 points', start, start + 30 * 1440 * MINUTE, 1000],
    ['day, 1000 points', start, start + 1440 * MINUTE, 1000],
  ] as const) {
    const times: number[] = [];
    let n = 0;
    for (let i = 0; i < 20; i++) {
      t0 = performance.now();
      n = store.history('Z1', from, to, points).length;
      times.push(performance.now() - t0);
    }
    console.log(`history ${label}: ${n} points, median ${median(times).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms`);
  }
  console.log(`db size ${(store.dbSizeBytes() / 2 ** 20).toFixed(1)} MiB`);
} finally {
  store.close();
  rmSync(dir, { recursive: true, force: true });
}
