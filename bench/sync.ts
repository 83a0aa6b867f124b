import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { EVENTS_SCHEMA_SQL, EVENTS_SETPOINT_SQL } from '@boiler/service';
import { EventEntry } from '@boiler/shared';
import { Replica } from '../nas-relay/src/replica/index.js';
import { startAgent, command, postCommand, type AgentUnderTest } from '../test/support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../test/support/relay-process.js';
import { seedSamples } from '../test/support/seed.js';
import { TEST_API_KEY } from '../test/support/agent-process.js';
import { quantile, type BenchRow } from './table.js';
import { peer } from './peer.js';

const root = join(import.meta.dirname, '..');

/** The floor: the same rows inserted raw into a fresh file in one transaction, with the replica's pragmas. */
function rawInsertMs(rows: Record<string, unknown>[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-raw-'));
  try {
    const db = new Database(join(dir, 'raw.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // The events table as both parts have it (with the setpoint the rows carry), nothing else: no samples, no rollups.
    db.exec(EVENTS_SCHEMA_SQL + EVENTS_SETPOINT_SQL);
    const insert = db.prepare(
      'INSERT INTO events (seq, ts, source, zone, event, room_c, pipe_c, outdoor_c, setpoint_c, duration_s, detail) VALUES (@seq, @ts, @source, @zone, @event, @room_c, @pipe_c, @outdoor_c, @setpoint_c, @duration_s, @detail)',
    );
    const t0 = performance.now();
    db.transaction(() => {
      for (const r of rows) insert.run(r);
    })();
    const ms = performance.now() - t0;
    db.close();
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The replica's own apply of the same rows, one call on a fresh replica file in this process: what
 * the store must do for them (the events, their samples and rollups, the applied seq, one
 * transaction) with no link, no decode and no pages. Not the target's floor; it shows how much of
 * a catch-up is the store's own work.
 */
function replicaApplyMs(rows: Record<string, unknown>[]): number {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-apply-'));
  try {
    const replica = Replica.open(join(dir, 'replica.db'));
    const events = rows.map((r) => EventEntry.parse(r));
    const t0 = performance.now();
    replica.applyEvents(events, { allowGap: true });
    const ms = performance.now() - t0;
    replica.close();
    return ms;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface CatchUpFloors {
  /** The target's floor: the rows inserted raw into the events table (rawInsertMs). */
  raw: number;
  /** The replica's own apply of them (replicaApplyMs). */
  apply: number;
}

/** How many times each floor is measured (fresh files each time, the two interleaved); the median is kept. */
const FLOOR_RUNS = 5;

/**
 * The floors for a seeded range, from the agent's rows for it: each the median of FLOOR_RUNS
 * (one run of either swung 42 to 74 ms from run to run, which moved the ratios as much as any change would).
 */
function seededFloors(dbPath: string, seeded: { first: number; last: number }): CatchUpFloors {
  const db = new Database(dbPath, { readonly: true });
  const rows = db.prepare('SELECT * FROM events WHERE seq BETWEEN ? AND ?').all(seeded.first, seeded.last) as Record<string, unknown>[];
  db.close();
  const raw: number[] = [];
  const apply: number[] = [];
  for (let i = 0; i < FLOOR_RUNS; i++) {
    raw.push(rawInsertMs(rows));
    apply.push(replicaApplyMs(rows));
  }
  return { raw: quantile(raw, 0.5), apply: quantile(apply, 0.5) };
}

/**
 * A catch-up figure beside its floor, against DESIGN.md's ≤ 2x; beside the replica's own apply of
 * the same rows; and the bare catch-up of the same rows (bareCatchUps) beside the raw insert.
 */
function catchUpRows(name: string, ms: number, floors: CatchUpFloors, bareMs: number | undefined): BenchRow[] {
  const rows: BenchRow[] = [
    { suite: 'sync', name, value: ms, unit: 'ms', floor: { name: 'raw 1-tx insert ms', value: floors.raw }, target: { text: '≤ 2x the raw insert', met: ms <= 2 * floors.raw } },
    { suite: 'sync', name: `  the same beside the replica's own apply of those rows (1 tx, no link)`, value: ms, unit: 'ms', floor: { name: 'replica apply ms', value: floors.apply } },
  ];
  if (bareMs !== undefined) {
    rows.push(
      { suite: 'sync', name: '  the same beside the bare catch-up of those rows (peers/bare-*.ts)', value: ms, unit: 'ms', floor: { name: 'bare catch-up ms', value: bareMs } },
      { suite: 'sync', name: '  bare catch-up, beside the raw insert (what a link of pages adds)', value: bareMs, unit: 'ms', floor: { name: 'raw 1-tx insert ms', value: floors.raw } },
    );
  }
  return rows;
}

/**
 * The bare catch-up of each seeded range, one after the other over one link (the first with both
 * processes cold, as after a relay restart; the second warm): a process reading the agent's log in
 * pages of 1,000 and sending each as gzipped JSON, and one applying them as they come (gunzip, parse,
 * checkEventEntries, the replica's own apply) to a fresh replica file, timed from its request to the
 * range applied. The relay's and the agent's work on a catch-up with nothing else: no envelope,
 * checksum, acks, state frames or listeners.
 */
async function bareCatchUps(dbPath: string, ranges: { first: number; last: number }[]): Promise<number[]> {
  const far = await peer('bare-log-agent.ts', [dbPath]);
  try {
    const near = await peer('bare-replica.ts', [`ws://127.0.0.1:${String(far.info.port)}`, ...ranges.map((r) => `${String(r.first - 1)}:${String(r.last)}`)]);
    return near.info.ms as number[];
  } finally {
    far.child.kill();
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc (10 ms ticks); null where there is no /proc. */
function cpuMs(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/**
 * Catch-up of 10,000 events queued while the relay was away, against a raw insert of the same rows.
 * Under the table: the CPU each process spent on it (from its link opening to 'caught up'), so a
 * slow figure on a busy machine can be told from a slow apply.
 */
export async function benchCatchUp(): Promise<BenchRow[]> {
  let agent: AgentUnderTest | undefined;
  let relay: RelayUnderTest | undefined;
  try {
    agent = await startAgent({ env: { SIM_SPEED: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { LOG_LEVEL: 'info' } });
    await relay.proc.waitForLog((l) => l.msg === 'agent link open');
    const dir = relay.dir;
    await relay.stop();
    // Just inside the outbox window (the newest 10,000), with the few live events logged meanwhile.
    const seeded = seedSamples(agent.dbPath, 9_980);
    const floor = seededFloors(agent.dbPath, seeded);
    const agentCpu0 = cpuMs(agent.proc.proc.pid);
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { dir, env: { LOG_LEVEL: 'info' } });
    const relayProc = relay.proc;
    // Taken when the line arrives through the pipe: the relay may have begun the first page by then.
    const relayCpu0 = await relayProc.waitForLog((l) => l.msg === 'agent link open', 30_000).then(() => cpuMs(relayProc.proc.pid));
    const done = await relayProc.waitForLog((l) => l.msg === 'caught up' && Number(l.events) >= 9_980, 60_000);
    const relayCpu1 = cpuMs(relayProc.proc.pid);
    const agentCpu1 = cpuMs(agent.proc.proc.pid);
    const ms = Number(done.ms);
    const detail = 'catch-up: CPU spent by each process (10 ms ticks), and the load';
    const cpuRows: BenchRow[] = [];
    if (relayCpu0 !== null && relayCpu1 !== null) cpuRows.push({ suite: 'sync', detail, name: 'relay CPU, link open to caught up', value: relayCpu1 - relayCpu0, unit: 'ms' });
    if (agentCpu0 !== null && agentCpu1 !== null) cpuRows.push({ suite: 'sync', detail, name: 'agent CPU, relay start to caught up', value: agentCpu1 - agentCpu0, unit: 'ms' });
    const load = readLoadAvg();
    if (load !== '') cpuRows.push({ suite: 'sync', detail, name: 'load average (1 min), 2 cores', value: Number(load), unit: '' });

    // The other way events queue up: the link down (the tunnel, the Pi's network) while the relay
    // keeps running. The agent is stopped, more events land in its log, and it comes back on the
    // same port; the relay, warm from the catch-up above, reconnects and takes them.
    const agentDir = agent.dir;
    const port = agent.port;
    await agent.stop();
    const more = seedSamples(agent.dbPath, 9_980, Date.now() - 30 * 24 * 3600_000);
    const floor2 = seededFloors(agent.dbPath, more);
    agent = await startAgent({ dir: agentDir, env: { SIM_SPEED: '1', WS_PORT: String(port) } });
    const again = await relayProc.waitForLog((l) => l.msg === 'caught up' && Number(l.applied) >= more.last, 60_000);
    const bare = await bareCatchUps(agent.dbPath, [seeded, more]);
    return [
      ...catchUpRows(`catch-up of ${String(done.events)} queued events, applied: after a relay restart (a cold process)`, ms, floor, bare[0]),
      ...catchUpRows(`catch-up of ${String(again.events)} queued events, applied: after a link outage (the relay running)`, Number(again.ms), floor2, bare[1]),
      ...cpuRows,
    ];
  } finally {
    await relay?.stop();
    await agent?.stop();
    relay?.cleanup();
    agent?.cleanup();
  }
}

/** The 1-minute load average, or '' where there is no /proc. */
function readLoadAvg(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '';
  } catch {
    return '';
  }
}

interface LagSnapshot {
  count: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

/**
 * Replica lag on loopback at real time (SIM_SPEED 1): zones switched on and off by commands as
 * fast as they are answered (minimum times zeroed in a copy of the zones file), and a minute
 * of samples, each event's agent timestamp against its apply time on the relay.
 */
export async function benchLag(seconds = 65, batchInterval = 2): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-lag-'));
  const zones = JSON.parse(readFileSync(join(root, 'agent', 'zones.json'), 'utf8')) as { zones: Record<string, unknown>[] };
  for (const z of zones.zones) {
    z.min_on_s = 0;
    z.min_off_s = 0;
  }
  const zonesFile = join(dir, 'zones.json');
  writeFileSync(zonesFile, JSON.stringify(zones));
  let agent: AgentUnderTest | undefined;
  let relay: RelayUnderTest | undefined;
  try {
    agent = await startAgent({ env: { SIM_SPEED: '1', ZONES_FILE: zonesFile, BATCH_INTERVAL: String(batchInterval), API_RATE_LIMIT: '10000' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    await new Promise((r) => setTimeout(r, 1000));
    const end = performance.now() + seconds * 1000;
    let i = 0;
    while (performance.now() < end) {
      const zone = `Z${(i % 4) + 1}`;
      const mode = Math.floor(i / 4) % 2 === 0 ? 'ON' : 'OFF';
      await postCommand(agent.url, command({ type: 'zone_mode', zone, mode }));
      i++;
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${relay.url}/api/link`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    const view = (await res.json()) as { lag_by_kind: { urgent: LagSnapshot; sample: LagSnapshot } };
    const u = view.lag_by_kind.urgent;
    const s = view.lag_by_kind.sample;
    const sampleTarget = batchInterval * 1000 + 50;
    return [
      { suite: 'sync', name: `replica lag ON/OFF + command events p50 (n=${u.count})`, value: u.p50Ms ?? NaN, unit: 'ms' },
      { suite: 'sync', name: `replica lag ON/OFF + command events p99 (n=${u.count})`, value: u.p99Ms ?? NaN, unit: 'ms', target: { text: 'p99 < 20 ms', met: (u.p99Ms ?? Infinity) < 20 } },
      { suite: 'sync', name: `replica lag samples p50 (n=${s.count})`, value: s.p50Ms ?? NaN, unit: 'ms' },
      {
        suite: 'sync',
        name: `replica lag samples p99 (n=${s.count})`,
        value: s.p99Ms ?? NaN,
        unit: 'ms',
        target: { text: `≤ BATCH_INTERVAL + 50 ms (${sampleTarget} ms)`, met: (s.p99Ms ?? Infinity) <= sampleTarget },
      },
    ];
  } finally {
    await relay?.stop();
    await agent?.stop();
    relay?.cleanup();
    agent?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}
