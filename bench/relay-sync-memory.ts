/**
 * The relay's memory during a full sync of a year of one site's history.
 *
 * The agent's database is seeded with a year of 14 zones as bench/retention.ts writes it (a sample
 * a minute per zone, two switches an hour per zone), pruned day by day as the agent prunes at the
 * default retention: what an agent holds after a year, so all of it is what a full sync ships (the
 * raw samples of the last 30 days and a year of ON/OFF events, and the state snapshot). A real
 * relay process with an empty replica is started first, pointed at the agent's port before the
 * agent listens, so its idle RSS is measured in this run, in the same process, before any link;
 * then the agent starts, the relay's first range request is older than the outbox and the agent
 * answers with a full sync. The relay's RSS is read from /proc every 50 ms until the sync is done,
 * and its kernel high-water mark (VmHWM, reset after the idle reading) catches a peak between reads.
 * Suite `relay-sync-memory` of `npm run bench`; alone: `npx tsx bench/relay-sync-memory.ts [days]`
 * (BENCH_RELAY_NODE_OPTIONS=... to run the relay with other node flags).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startAgent, type AgentUnderTest } from '../test/support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../test/support/relay-process.js';
import { openStore, prune, scratchDir, writeDay } from './retention.js';
import type { BenchRow } from './table.js';

const DAY = 86_400_000;
const MIB = 2 ** 20;
/** How far above its idle RSS the relay may go (DESIGN.md). */
const BOUND_MIB = 50;
/** The agent's default SAMPLE_RETENTION_DAYS. */
const SAMPLE_RETENTION_DAYS = 30;

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 'NaN');
}

/** A port nothing listens on yet (the agent takes it later), from the kernel. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Writes `days` of the site into a new agent database, the last day ending at today's UTC
 * midnight, as it stands after pruning at the default retention: days past the sample window
 * get their ON/OFF events only (pruning would take their samples and SAMPLE events, and the
 * rollups it keeps are never part of a sync), the newest days get samples too. Its last seq.
 */
function seedYear(file: string, days: number): number {
  const end = Math.floor(Date.now() / DAY) * DAY;
  const start = end - days * DAY;
  const store = openStore(file);
  try {
    for (let d = 0; d < days; d++) writeDay(store, d, start, { samples: d >= days - SAMPLE_RETENTION_DAYS });
    prune(store, Date.now());
    return store.lastSeq();
  } finally {
    store.close();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/**
 * `relayNodeOptions` (NODE_OPTIONS for the relay; none by default, as nas-relay/Dockerfile runs
 * it) lets one try V8 settings against the bound from the command line.
 */
export async function benchRelaySyncMemory(days = 365, relayNodeOptions?: string): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(scratchDir(), 'boiler-bench-relay-sync-'));
  const agentDir = join(dir, 'agent');
  const relayDir = join(dir, 'relay');
  mkdirSync(agentDir);
  mkdirSync(relayDir);
  let agent: AgentUnderTest | undefined;
  let relay: RelayUnderTest | undefined;
  try {
    const tSeed = performance.now();
    const lastSeq = seedYear(join(agentDir, 'agent.db'), days);
    process.stderr.write(`  seeded ${days} d (last seq ${lastSeq}) in ${((performance.now() - tSeed) / 1000).toFixed(0)} s\n`);
    const port = await freePort();
    const nodeOptions = relayNodeOptions === undefined ? {} : { NODE_OPTIONS: relayNodeOptions };
    relay = await startRelay(`ws://127.0.0.1:${port}/ws`, { dir: relayDir, env: { LOG_LEVEL: 'info', ...nodeOptions } });
    const pid = relay.proc.proc.pid as number;
    // Settled first (startup garbage collected), then the median of a second of readings.
    await sleep(3000);
    const idleReadings: number[] = [];
    for (let i = 0; i < 10; i++) {
      idleReadings.push(statusKiB(pid, 'VmRSS'));
      await sleep(100);
    }
    idleReadings.sort((a, b) => a - b);
    const idle = (idleReadings[5] as number) * 1024;
    let hwmReset = true;
    try {
      // 5 resets the process's peak RSS (VmHWM) to its current RSS.
      writeFileSync(`/proc/${pid}/clear_refs`, '5');
    } catch {
      hwmReset = false;
    }
    let peak = idle;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, statusKiB(pid, 'VmRSS') * 1024);
      } catch {
        // The relay exited; the wait below reports it.
      }
    }, 50);
    const t0 = performance.now();
    try {
      agent = await startAgent({ dir: agentDir, env: { SIM_SPEED: '1', WS_PORT: String(port), LOG_LEVEL: 'info' } });
      const done = await relay.proc.waitForLog((l) => l.msg === 'full sync complete', 15 * 60_000);
      // From the link opening (the agent started and the relay's backoff ran out) to the last page applied.
      const opened = await relay.proc.waitForLog((l) => l.msg === 'agent link open');
      const logged = Date.parse(String(done.time)) - Date.parse(String(opened.time));
      const ms = Number.isFinite(logged) ? logged : performance.now() - t0;
      if (hwmReset) peak = Math.max(peak, statusKiB(pid, 'VmHWM') * 1024);
      const applied = Number(done.applied);
      if (!(applied >= lastSeq)) throw new Error(`the full sync ended at seq ${applied}, before the seeded ${lastSeq}`);
      const view = await linkView(relay.url);
      // Whether what the sync took is given back: a peak that stays is held, not passing garbage.
      await sleep(3000);
      const after = statusKiB(pid, 'VmRSS') * 1024;
      const mib = (b: number) => b / MIB;
      const what = `${days} d of 14 zones, ${view.link.eventsApplied.toLocaleString('en-US')} events in ${(ms / 1000).toFixed(0)} s`;
      return [
        {
          suite: 'relay',
          name: `relay peak RSS during a full sync (${what})`,
          value: mib(peak),
          unit: 'MiB',
          floor: { name: 'the same relay idle, before the link MiB', value: mib(idle) },
          target: { text: `≤ ${BOUND_MIB} MiB above idle (${(mib(idle) + BOUND_MIB).toFixed(0)} MiB)`, met: mib(peak - idle) <= BOUND_MIB },
        },
        {
          suite: 'relay',
          name: 'relay RSS 3 s after that full sync',
          value: mib(after),
          unit: 'MiB',
          floor: { name: 'the same relay idle, before the link MiB', value: mib(idle) },
        },
      ];
    } finally {
      clearInterval(sampler);
    }
  } finally {
    await relay?.stop();
    await agent?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const days = process.argv[2] === undefined ? 365 : Number(process.argv[2]);
  const t0 = performance.now();
  const { formatTable } = await import('./table.js');
  console.log(formatTable(await benchRelaySyncMemory(days, process.env.BENCH_RELAY_NODE_OPTIONS)));
  console.log(`${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
