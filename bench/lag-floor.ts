/**
 * The floor for replica lag: an ON/OFF event frame stamped with Date.now() in one process, sent
 * over one raw loopback ws hop to another, parsed and inserted in one transaction into an events
 * table with the replica's pragmas, then Date.now() again: the same clock, resolution and work
 * the relay's lag figure counts, without the agent's logging and batching or the relay's checks.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket from 'ws';
import { EVENTS_SCHEMA_SQL } from '@boiler/service';
import { REPLICA_SYNCHRONOUS } from '../nas-relay/src/replica/migrations.js';
import { quantile, type BenchRow } from './table.js';

const root = join(import.meta.dirname, '..');

interface RawEvent {
  seq: number;
  ts: number;
  source: string;
  zone: string;
  event: string;
  room_c: number | null;
  pipe_c: number | null;
  outdoor_c: number | null;
  duration_s: number | null;
  detail: string | null;
}

/** Lag in ms of each of `count` events sent `spacingMs` apart (the first 20 are a warm-up and not counted). */
export async function rawDeliveryLag(count = 400, spacingMs = 20): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-lag-floor-'));
  const sender = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'peers', 'event-sender.ts'), String(count + 20), String(spacingMs)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const db = new Database(join(dir, 'replica.db'));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      createInterface({ input: sender.stdout! }).once('line', (line) => resolve(Number((JSON.parse(line) as { port: number }).port)));
      sender.once('exit', (code) => reject(new Error(`event-sender exited ${code}`)));
    });
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${REPLICA_SYNCHRONOUS}`);
    db.exec(EVENTS_SCHEMA_SQL);
    const insert = db.prepare(
      'INSERT INTO events (seq, ts, source, zone, event, room_c, pipe_c, outdoor_c, duration_s, detail) VALUES (@seq, @ts, @source, @zone, @event, @room_c, @pipe_c, @outdoor_c, @duration_s, @detail)',
    );
    const apply = db.transaction((events: RawEvent[]) => {
      for (const e of events) insert.run(e);
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    const lags: number[] = [];
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data: Buffer) => {
        const frame = JSON.parse(data.toString()) as { payload: { events: RawEvent[] } };
        apply(frame.payload.events);
        const at = Date.now();
        for (const e of frame.payload.events) if (e.seq > 20) lags.push(at - e.ts);
        if (lags.length >= count) resolve();
      });
    });
    ws.close();
    return lags;
  } finally {
    sender.kill();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Puts the raw floor beside bench/sync.ts's replica lag rows (found by their names): the raw
 * delivery's p50 and p99 beside the ON/OFF rows and the samples p50, and BATCH_INTERVAL plus the
 * raw p99 beside the samples p99 (a sample may wait a whole batch interval by design, so that is
 * the least its p99 can be). Rows it does not recognise pass unchanged.
 */
export function withLagFloors(rows: readonly BenchRow[], raw: readonly number[], batchIntervalS: number): BenchRow[] {
  const p50 = quantile(raw, 0.5);
  const p99 = quantile(raw, 0.99);
  const batchMs = batchIntervalS * 1000;
  return rows.map((r) => {
    const q = / p50\b/.test(r.name) ? { label: 'p50', value: p50 } : / p99\b/.test(r.name) ? { label: 'p99', value: p99 } : null;
    if (q === null || r.floor !== undefined) return r;
    const rawFloor = { ...r, floor: { name: `raw 1-hop ws + 1-tx insert ${q.label} ms`, value: q.value } };
    if (r.name.startsWith('replica lag ON/OFF')) return rawFloor;
    if (!r.name.startsWith('replica lag samples')) return r;
    return q.label === 'p50' ? rawFloor : { ...r, floor: { name: 'BATCH_INTERVAL + raw 1-hop p99 ms', value: batchMs + q.value } };
  });
}
