/**
 * The agent's database over a simulated year of 14 zones: one sample a minute per zone (through
 * recordSamples, so rollups and SAMPLE events are written as in production) and ON/OFF events at
 * two switches an hour per zone, a simulated day a transaction at simulated timestamps. One store
 * prunes as the agent does (raw samples past SAMPLE_RETENTION_DAYS, in batches, after each day),
 * the other never prunes; then the pruned one runs a further month to show its size holds.
 * Run alone: `npx tsx bench/retention.ts [days]` (365 by default).
 */
import { mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AgentStore, openDatabase, type NewEvent, type Sample } from '../agent/src/store/index.js';
import { DETAIL_RETENTION_MS } from '@boiler/service';
import type { BenchRow } from './table.js';

const MINUTE = 60_000;
const DAY = 1440 * MINUTE;
const ZONES = Array.from({ length: 14 }, (_, i) => `Z${i + 1}`);
const RETENTION_DAYS = 30;
const PRUNE_BATCH = 2000;
const MIB = 2 ** 20;
const START = Date.UTC(2025, 0, 1);

/**
 * One simulated day: 14 zones × 1,440 samples and the day's ON/OFF events, in one transaction.
 * The same rows the agent writes a minute at a time; a day's samples go in one recordSamples call
 * so the rollups cost one upsert per bucket (the bench measures the file, not the agent's pace).
 * Without `samples`, only the day's ON/OFF events: what pruning leaves of a day past the sample window.
 */
export function writeDay(store: AgentStore, day: number, start = START, options: { samples: boolean } = { samples: true }): void {
  const base = start + day * DAY;
  const samples: Sample[] = [];
  const events: NewEvent[] = [];
  for (let m = 0; m < 1440; m++) {
    const ts = base + m * MINUTE;
    const wave = Math.sin((2 * Math.PI * m) / 1440);
    for (const [z, zone] of ZONES.entries()) {
      samples.push({
        zone,
        ts,
        room_c: Math.round((19 + wave + z / 10) * 16) / 16,
        pipe_c: Math.round((35 + 10 * wave) * 16) / 16,
        outdoor_c: Math.round((-5 + 8 * wave) * 16) / 16,
        output: (m + z * 7) % 30 < 12,
      });
      if (m % 30 === 0) {
        const on = m % 60 === 0;
        events.push({
          ts,
          source: 'control',
          zone,
          event: on ? 'ON' : 'OFF',
          room_c: 19.5,
          pipe_c: null,
          outdoor_c: -5,
          duration_s: on ? null : 720,
          detail: on ? 'schedule setpoint 20 °C, room 19.5 °C' : 'schedule setpoint 20 °C, room 20.1 °C',
        });
      }
    }
  }
  store.transaction(() => {
    if (options.samples) store.recordSamples(samples);
    store.appendEvents(events);
  });
}

/** The agent's store with its schema and pragmas, but without an fsync per commit: durability is not what this measures. */
export function openStore(path: string): AgentStore {
  const db = openDatabase(path);
  db.pragma('synchronous = OFF');
  return new AgentStore(db);
}

/** Prunes as the agent does: raw samples past the sample window, events and the 15-minute tier past the detail window, in batches until one comes back short. */
export function prune(store: AgentStore, now: number): void {
  for (;;) {
    const r = store.pruneSamples(now - RETENTION_DAYS * DAY, PRUNE_BATCH);
    const events = store.pruneEvents(0, { olderThan: now - DETAIL_RETENTION_MS, maxRows: PRUNE_BATCH });
    const rollups = store.pruneFinestRollup(now - DETAIL_RETENTION_MS, PRUNE_BATCH);
    if ([r.samples, r.events, events, rollups].every((n) => n < PRUNE_BATCH)) return;
  }
}

/**
 * Where the two files go: /dev/shm when it has room for the unpruned year (about 1.5 GiB), so the
 * run measures SQLite and not this machine's disk; the temp dir otherwise.
 */
export function scratchDir(): string {
  try {
    const fs = statfsSync('/dev/shm');
    if (fs.bavail * fs.bsize > 3 * 2 ** 30) return '/dev/shm';
  } catch {
    // No /dev/shm here.
  }
  return tmpdir();
}

/** Bytes of the file held by each part: raw samples, the event log (table and indexes), rollups, and free pages. */
function parts(store: AgentStore): { raw: number; events: number; fine: number; coarse: number; free: number; total: number } {
  const bytes = store.pageUsage();
  const of = (names: readonly string[]) => names.reduce((sum, n) => sum + (bytes.get(n) ?? 0), 0);
  const total = store.dbSizeBytes();
  const raw = of(['samples']);
  const events = of(['events', 'events_ts', 'events_zone_seq', 'events_event_seq', 'events_zone_event_seq']);
  const fine = of(['samples_15m']);
  const coarse = of(['samples_1h', 'samples_1d']);
  return { raw, events, fine, coarse, free: store.freeBytes(), total };
}

/** The unpruned run: `days` written to a store that never prunes; its size in bytes. */
function unprunedSize(file: string, days: number): number {
  const store = openStore(file);
  try {
    for (let d = 0; d < days; d++) writeDay(store, d);
    return store.dbSizeBytes();
  } finally {
    store.close();
  }
}

/** The unpruned run in a second process, so the two years are written on two cores at once. */
function unprunedInChild(file: string, days: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--unpruned', file, String(days)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const bytes = Number(out.trim());
      if (code === 0 && Number.isFinite(bytes)) resolve(bytes);
      else reject(new Error(`the unpruned run exited with ${code}: ${out.slice(0, 200)}`));
    });
  });
}

export async function benchRetention(days = 365): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(scratchDir(), 'bench-retention-'));
  const pruned = openStore(join(dir, 'pruned.db'));
  const unprunedRun = unprunedInChild(join(dir, 'unpruned.db'), days);
  // Settled before anything can throw, so a failing child never goes unhandled.
  unprunedRun.catch(() => undefined);
  try {
    for (let d = 0; d < days; d++) {
      writeDay(pruned, d);
      prune(pruned, START + (d + 1) * DAY);
    }
    const year = parts(pruned);
    let monthMax = year.total;
    for (let d = days; d < days + 30; d++) {
      writeDay(pruned, d);
      prune(pruned, START + (d + 1) * DAY);
      monthMax = Math.max(monthMax, pruned.dbSizeBytes());
    }
    const month = parts(pruned);
    const label = `${days} d of 14 zones`;
    const after = `after ${label}`;
    const mib = (n: number) => n / MIB;
    const yearUnpruned = await unprunedRun;
    return [
      {
        suite: 'retention',
        name: `agent db ${after}, ${RETENTION_DAYS}-day raw retention`,
        value: mib(year.total),
        unit: 'MiB',
        floor: { name: 'same, unpruned', value: mib(yearUnpruned) },
      },
      {
        suite: 'retention',
        name: 'agent db, a further 30 days on (largest seen)',
        value: mib(monthMax),
        unit: 'MiB',
        floor: { name: after, value: mib(year.total) },
        // The hourly and daily rollups are kept for good (about 1 MiB a month for 14 zones): flat means within 2 %.
        target: { text: 'flat once past the window (within 2 %)', met: monthMax <= 1.02 * year.total },
      },
      {
        suite: 'retention',
        name: 'raw samples table, a further 30 days on',
        value: mib(month.raw),
        unit: 'MiB',
        floor: { name: after, value: mib(year.raw) },
        target: { text: 'flat once past the window (within 2 %)', met: Math.abs(month.raw - year.raw) <= 0.02 * year.raw },
      },
      {
        // SAMPLE events go with the samples; events of every kind go past the detail window (a year).
        suite: 'retention',
        name: 'event log + indexes, a further 30 days on',
        value: mib(month.events),
        unit: 'MiB',
        floor: { name: after, value: mib(year.events) },
        target: { text: 'flat (within 2 %)', met: Math.abs(month.events - year.events) <= 0.02 * year.events },
      },
      {
        suite: 'retention',
        name: '15-minute rollups (kept a year), a further 30 days on',
        value: mib(month.fine),
        unit: 'MiB',
        floor: { name: after, value: mib(year.fine) },
        target: { text: 'flat (within 2 %)', met: Math.abs(month.fine - year.fine) <= 0.02 * year.fine },
      },
      {
        suite: 'retention',
        name: 'hourly + daily rollups (kept for good), a further 30 days on',
        value: mib(month.coarse),
        unit: 'MiB',
        floor: { name: after, value: mib(year.coarse) },
      },
      { suite: 'retention', name: 'free pages (reused by new rows), a further 30 days on', value: mib(month.free), unit: 'MiB' },
    ];
  } finally {
    pruned.close();
    await unprunedRun.catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === '--unpruned') {
    process.stdout.write(`${unprunedSize(process.argv[3] as string, Number(process.argv[4]))}\n`);
  } else {
    const days = process.argv[2] === undefined ? 365 : Number(process.argv[2]);
    const t0 = performance.now();
    const { formatTable } = await import('./table.js');
    console.log(formatTable(await benchRetention(days)));
    console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
}
