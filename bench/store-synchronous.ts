/**
 * Times single-row write transactions on a real WAL file with synchronous=NORMAL and =FULL,
 * the figures behind the choice in agent/src/store/open.ts. Run: `npx tsx bench/store-synchronous.ts [N]`.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type Mode = 'NORMAL' | 'FULL';

interface Timing {
  mode: Mode;
  totalMs: number;
  p50Ms: number;
  p99Ms: number;
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? Number.NaN;
}

function timeMode(dir: string, mode: Mode, n: number): Timing {
  const db = new Database(join(dir, `sync-${mode}-${process.hrtime.bigint()}.db`));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${mode}`);
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, body TEXT NOT NULL) STRICT');
    const insert = db.prepare('INSERT INTO t (ts, body) VALUES (?, ?)');
    const write = db.transaction((ts: number) => insert.run(ts, 'x'.repeat(200)));
    const times: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = process.hrtime.bigint();
      write(Date.now());
      times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { mode, totalMs: times.reduce((a, b) => a + b, 0), p50Ms: quantile(times, 0.5), p99Ms: quantile(times, 0.99) };
  } finally {
    db.close();
  }
}

const n = Number(process.argv[2] ?? 2000);
const dir = mkdtempSync(join(tmpdir(), 'store-sync-'));
try {
  // Interleaved and repeated, so a cold page cache or a noisy neighbour does not favour one mode.
  for (let round = 0; round < 3; round++) {
    for (const mode of ['NORMAL', 'FULL'] as const) {
      const t = timeMode(dir, mode, n);
      console.log(
        `${t.mode.padEnd(6)} ${n} single-row transactions: total ${t.totalMs.toFixed(1)} ms, ` +
          `per commit ${(t.totalMs / n).toFixed(3)} ms, p50 ${t.p50Ms.toFixed(3)} ms, p99 ${t.p99Ms.toFixed(3)} ms`,
      );
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
