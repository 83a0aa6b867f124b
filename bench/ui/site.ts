/**
 * What the UI bench runs against: a real agent (simulator, 14 zones) whose database holds the
 * last month of samples, a real relay that took that month by a full sync and serves the built
 * UI, and a small server on 127.0.0.1 for the bench's own pages (the chart page and the
 * navigation floor), which passes the chart page's history requests on to the relay.
 */
import { createServer, type Server } from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { extname, join, relative, resolve, sep } from 'node:path';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../../test/support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../../test/support/relay-process.js';
import { stopAndCleanUp } from '../../test/support/processes.js';
import { openStore, prune, scratchDir, writeDay } from '../retention.js';

const DAY = 86_400_000;
/** The agent's default SAMPLE_RETENTION_DAYS: a month of samples is what it keeps. */
const MONTH_DAYS = 30;

export interface UiSite {
  agent: AgentUnderTest;
  /** The relay now running (a restart replaces it). */
  relay: RelayUnderTest;
  /** Events the relay applied in its full sync of the month. */
  synced: number;
  /**
   * Restarts the relay on its replica: it serves the UI files present when it starts, so a build
   * that replaced out/renderer meanwhile (another run's) is served only after a restart.
   */
  restartRelay(): Promise<void>;
  stop(): Promise<void>;
}

/** Writes the month before today's UTC midnight into a new agent database, as the agent's own writes would. */
function seedMonth(file: string): void {
  const end = Math.floor(Date.now() / DAY) * DAY;
  const store = openStore(file);
  try {
    for (let d = 0; d < MONTH_DAYS; d++) writeDay(store, d, end - MONTH_DAYS * DAY);
    prune(store, Date.now());
  } finally {
    store.close();
  }
}

/** Resolves when the relay answers for all 14 zones (a restarted relay reads them back from its replica). */
async function untilZonesKnown(relayUrl: string, timeoutMs = 30_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`${relayUrl}/api/zones/Z14`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } }).catch(() => null);
    if (res?.status === 200) return;
    if (performance.now() > end) throw new Error(`the restarted relay answers ${res?.status ?? 'nothing'} for Z14`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * Starts the agent on the seeded month at real time (its simulated clock is the real one, so the
 * month ends where the charts look) and the relay, and waits for the relay's full sync.
 */
export async function startUiSite(beforeStart: () => void): Promise<UiSite> {
  const dir = mkdtempSync(join(scratchDir(), 'boiler-bench-ui-'));
  const agentDir = join(dir, 'agent');
  mkdirSync(agentDir);
  const t0 = performance.now();
  seedMonth(join(agentDir, 'agent.db'));
  process.stderr.write(`  seeded a month of 14 zones in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  beforeStart();
  let agent: AgentUnderTest | undefined;
  let relay: RelayUnderTest | undefined;
  try {
    agent = await startAgent({ dir: agentDir, env: { SIM_SPEED: '1', LOG_LEVEL: 'info' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { LOG_LEVEL: 'info' } });
    const t1 = performance.now();
    const done = await relay.proc.waitForLog((l) => l.msg === 'full sync complete', 10 * 60_000);
    process.stderr.write(`  relay full sync in ${((performance.now() - t1) / 1000).toFixed(0)} s\n`);
    const a = agent;
    const site: UiSite = {
      agent: a,
      relay,
      synced: Number(done.applied),
      async restartRelay() {
        const replicaDir = site.relay.dir;
        await site.relay.stop();
        site.relay = await startRelay(`ws://127.0.0.1:${a.port}/ws`, { dir: replicaDir, env: { LOG_LEVEL: 'info' } });
        await site.relay.proc.waitForLog((l) => l.msg === 'agent link open');
        await untilZonesKnown(site.relay.url);
      },
      async stop() {
        await stopAndCleanUp(site.relay, a);
        rmSync(dir, { recursive: true, force: true });
      },
    };
    return site;
  } catch (err) {
    await stopAndCleanUp(relay, agent);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * The navigation floor: the dashboard's fourteen tiles as static markup, no script, the same
 * classes the bench's observer looks for.
 */
export const TILES_FLOOR_HTML = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Floor</title>
<style>ul{display:grid;grid-template-columns:repeat(7,1fr);gap:8px;list-style:none;padding:0}a{display:block;height:120px;border:1px solid #888}</style></head>
<body><main><ul>${Array.from({ length: 14 }, (_, i) => `<li><a class="zone-tile" data-zone="Z${i + 1}" href="#"><span class="head">Z${i + 1}</span><span class="reading"><span class="value">68<span class="unit">°F</span></span></span></a></li>`).join('')}</ul></main></body></html>`;

export interface BenchServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves the files under `root`, the floor page at /tiles-floor.html, and passes GETs of
 * /api/zones/<zone>/history to the relay now running with the key (the pages have no session of their own).
 */
export function startBenchServer(root: string, relayUrl: () => string): Promise<BenchServer> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method !== 'GET') {
      res.writeHead(405).end();
      return;
    }
    if (url.pathname === '/tiles-floor.html') {
      res.writeHead(200, { 'content-type': TYPES['.html'] as string, 'cache-control': 'no-cache' }).end(TILES_FLOOR_HTML);
      return;
    }
    if (/^\/api\/zones\/[^/]+\/history$/.test(url.pathname)) {
      fetch(`${relayUrl()}${url.pathname}${url.search}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } })
        .then(async (answer) => {
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' }).end(Buffer.from(await answer.arrayBuffer()));
        })
        .catch(() => res.writeHead(502).end());
      return;
    }
    let file: string;
    let body: Buffer;
    try {
      file = resolve(base, `.${decodeURIComponent(url.pathname)}`);
      const inside = relative(base, file);
      if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`)) throw new Error('outside');
      body = readFileSync(file);
    } catch {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolveStart, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a !== null ? a.port : 0;
      resolveStart({
        url: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
