import { writeFileSync } from 'node:fs';

/** One measured figure, beside the floor it is compared with when there is one. */
export interface BenchRow {
  suite: string;
  name: string;
  value: number;
  unit: string;
  /** The baseline measured in the same run (a raw echo, a raw insert). */
  floor?: { name: string; value: number };
  /** The target from DESIGN.md, in words, and whether this run met it. */
  target?: { text: string; met: boolean };
  /** A detail row: printed under the table in a block of this title (e.g. a round trip's breakdown), not in it. */
  detail?: string;
  /** For a detail row: the p99 beside `value`, which is then the p50. */
  p99?: number;
}

/** Formats rows as an aligned text table, then each block of detail rows under it. */
export function formatTable(all: readonly BenchRow[]): string {
  const rows = all.filter((r) => r.detail === undefined);
  const header = ['suite', 'measure', 'value', 'floor', 'ratio', 'target', 'met'];
  const lines = rows.map((r) => [
    r.suite,
    r.name,
    `${fmt(r.value)} ${r.unit}`,
    r.floor ? `${fmt(r.floor.value)} (${r.floor.name})` : '',
    r.floor && r.floor.value > 0 ? `${(r.value / r.floor.value).toFixed(2)}x` : '',
    r.target?.text ?? '',
    r.target ? (r.target.met ? 'yes' : 'NO') : '',
  ]);
  const blocks = [...new Set(all.flatMap((r) => (r.detail === undefined ? [] : [r.detail])))].map((title) => {
    const details = all.filter((r) => r.detail === title);
    return `\n${title}\n${aligned(
      ['stage', 'p50', 'p99'],
      details.map((r) => [r.name, `${fmt(r.value)} ${r.unit}`, r.p99 === undefined ? '' : `${fmt(r.p99)} ${r.unit}`]),
    )}`;
  });
  return [aligned(header, lines), ...blocks].join('\n');
}

function aligned(header: string[], lines: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => (l[i] ?? '').length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [row(header), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}

function fmt(n: number): string {
  if (n === 0) return '0';
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString('en-US');
  if (Math.abs(n) >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

export function writeJson(file: string, rows: readonly BenchRow[]): void {
  writeFileSync(file, `${JSON.stringify({ measured_at: new Date().toISOString(), node: process.version, rows }, null, 2)}\n`);
}

/** Runs fn repeatedly for about `ms` milliseconds (after a warm-up) and returns operations per second. */
export function opsPerSecond(fn: () => void, ms = 500): number {
  const warmEnd = performance.now() + ms / 5;
  while (performance.now() < warmEnd) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 10; i++) fn();
    n += 10;
    now = performance.now();
  }
  return (n * 1000) / (now - start);
}

/** The value at quantile q (0..1) of unsorted samples. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[idx] ?? Number.NaN;
}
