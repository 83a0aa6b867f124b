/**
 * History over a year of 1-minute samples for one zone (525,600 rows, written through
 * recordSamples, so the rollups and SAMPLE events are as in production), asked for 1,000 points.
 *
 * The floor is a raw indexed read of as many rows as the answer has, from a plain table holding
 * exactly those points: the least any implementation pays to hand 1,000 points out of SQLite
 * through better-sqlite3, so the ratio is what planning and summing the rollups costs on top.
 * (The raw scan the rollups avoid is no floor, it is the slow way; it is printed as its own row.)
 * Suite `history` of `npm run bench`; alone, with more ranges: `npx tsx bench/store-history.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { historySegments, historySql, planHistory } from '@boiler/service';
import { AgentStore, type Sample } from '../agent/src/store/index.js';
import { quantile, type BenchRow } from './table.js';

const MINUTE = 60_000;
const YEAR = 365 * 24 * 60 * MINUTE;
const START = Date.UTC(2024, 0, 1);
const ZONE = 'Z1';
const POINTS = 1000;
const RUNS = 20;

function yearOfSamples(zone: string): Sample[] {
  const out: Sample[] = [];
  for (let i = 0; i < YEAR / MINUTE; i++) {
    const ts = START + i * MINUTE;
    const day = Math.sin((2 * Math.PI * i) / 1440);
    out.push({ zone, ts, room_c: 20 + day, pipe_c: 40 + 5 * day, outdoor_c: -5 + 8 * day, output: i % 7 < 3 });
  }
  return out;
}

/** Milliseconds of each of `runs` calls of fn, after two warm-up calls. */
function timed(fn: () => unknown, runs: number): number[] {
  fn();
  fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** A store holding the year, in a fresh temp dir; `done` closes it and removes the dir. */
function yearStore(): { store: AgentStore; file: string; dir: string; rows: number; writeMs: number; done(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-history-'));
  const file = join(dir, 'agent.db');
  const store = AgentStore.open(file);
  const samples = yearOfSamples(ZONE);
  const t0 = performance.now();
  for (let i = 0; i < samples.length; i += 10_000) store.recordSamples(samples.slice(i, i + 10_000));
  const writeMs = performance.now() - t0;
  return {
    store,
    file,
    dir,
    rows: samples.length,
    writeMs,
    done() {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The floor: the answer's points read back by an indexed range query from a plain table of just those rows. */
function rawPointsReadMs(dir: string, points: readonly { ts: number; room_c: number | null; pipe_c: number | null; outdoor_c: number | null; duty: number | null }[]): number[] {
  const db = new Database(join(dir, 'points.db'));
  try {
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE points (zone TEXT NOT NULL, ts INTEGER NOT NULL, room_c REAL, pipe_c REAL, outdoor_c REAL, duty REAL, PRIMARY KEY (zone, ts)) STRICT, WITHOUT ROWID');
    const insert = db.prepare('INSERT INTO points (zone, ts, room_c, pipe_c, outdoor_c, duty) VALUES (?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (const p of points) insert.run(ZONE, p.ts, p.room_c, p.pipe_c, p.outdoor_c, p.duty);
    })();
    const read = db.prepare('SELECT ts, room_c, pipe_c, outdoor_c, duty FROM points WHERE zone = ? AND ts >= ? AND ts < ? ORDER BY ts');
    return timed(() => read.all(ZONE, START, START + YEAR), RUNS);
  } finally {
    db.close();
  }
}

/** The raw scan the rollups avoid: the same [from, to) grouped into the same number of buckets straight from the samples table. */
function rawScanMs(file: string, runs: number): number[] {
  const db = new Database(file, { readonly: true });
  try {
    const plan = planHistory(START, START + YEAR, POINTS, []);
    const { sql, params } = historySql(ZONE, plan, historySegments(START, START + YEAR, plan, []));
    const scan = db.prepare(sql);
    return timed(() => scan.all(...params), runs);
  } finally {
    db.close();
  }
}

export function benchHistory(): BenchRow[] {
  const year = yearStore();
  try {
    const answer = year.store.history(ZONE, START, START + YEAR, POINTS);
    const times = timed(() => year.store.history(ZONE, START, START + YEAR, POINTS), RUNS);
    const floor = quantile(rawPointsReadMs(year.dir, answer), 0.5);
    const scan = quantile(rawScanMs(year.file, 3), 0.5);
    const p50 = quantile(times, 0.5);
    const slowest = Math.max(...times);
    const what = `one zone, a year of 1-min samples (${year.rows.toLocaleString('en-US')} rows), ${POINTS.toLocaleString('en-US')} points`;
    const floorRow = { name: `raw indexed read of the ${answer.length} answer rows ms`, value: floor };
    return [
      { suite: 'history', name: `history: ${what}, median of ${RUNS}`, value: p50, unit: 'ms', floor: floorRow, target: { text: '< 50 ms', met: p50 < 50 } },
      { suite: 'history', name: `history: same, slowest of ${RUNS}`, value: slowest, unit: 'ms', floor: floorRow, target: { text: '< 50 ms', met: slowest < 50 } },
      { suite: 'history', name: 'raw scan of the same rows into the same points (what the rollups avoid)', value: scan, unit: 'ms', floor: { name: 'the history query ms', value: p50 } },
    ];
  } finally {
    year.done();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const year = yearStore();
  try {
    console.log(`recordSamples of ${year.rows} rows, 10,000 a transaction: ${year.writeMs.toFixed(0)} ms`);
    for (const [label, from, to, points] of [
      ['year, 1000 points', START, START + YEAR, 1000],
      ['year, 2000 points', START, START + YEAR, 2000],
      ['year, unaligned, 1000 points', START + 7 * MINUTE, START + YEAR - 13 * MINUTE, 1000],
      ['month, 1000 points', START, START + 30 * 1440 * MINUTE, 1000],
      ['day, 1000 points', START, START + 1440 * MINUTE, 1000],
    ] as const) {
      const n = year.store.history(ZONE, from, to, points).length;
      const times = timed(() => year.store.history(ZONE, from, to, points), RUNS);
      console.log(`history ${label}: ${n} points, median ${quantile(times, 0.5).toFixed(2)} ms, max ${Math.max(...times).toFixed(2)} ms`);
    }
    console.log(`db size ${(year.store.dbSizeBytes() / 2 ** 20).toFixed(1)} MiB`);
  } finally {
    year.done();
  }
  const { formatTable } = await import('./table.js');
  console.log(formatTable(benchHistory()));
}
