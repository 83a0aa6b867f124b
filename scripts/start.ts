// `npm start`: the whole system on one machine — the agent on its house simulator and the relay
// on loopback — with a local API key and link secret made on first run. Ctrl-C stops both.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
const dataDir = process.env.BOILER_DATA_DIR ?? join(root, 'data');
mkdirSync(dataDir, { recursive: true, mode: 0o700 });

interface LocalSecrets {
  api_key: string;
  shared_secret: string;
}
const secretsFile = join(dataDir, 'local-secrets.json');
let secrets: LocalSecrets;
if (existsSync(secretsFile)) {
  secrets = JSON.parse(readFileSync(secretsFile, 'utf8')) as LocalSecrets;
} else {
  secrets = { api_key: randomBytes(24).toString('base64url'), shared_secret: randomBytes(32).toString('base64url') };
  writeFileSync(secretsFile, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
}

const agentPort = process.env.WS_PORT ?? '8001';
const relayPort = process.env.HTTP_PORT ?? '8000';
const common = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_LEVEL: process.env.LOG_LEVEL ?? 'info', API_KEY: secrets.api_key, SHARED_SECRET: secrets.shared_secret };

/** A JSON log line of a child, as far as this script reads it. */
interface ChildLine {
  level?: number;
  msg?: string;
  err?: { code?: string; port?: number };
}

/** Whether a child already explained why it stopped (a port in use), so its exit needs no second line. */
const explained = new Set<string>();

function run(name: string, entry: string, env: Record<string, string>, onLine: (l: ChildLine) => void = () => undefined): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, entry)], { cwd: root, env: { ...common, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  // Children log JSON lines; show warnings and the lines a person starting the system cares about.
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let l: ChildLine;
    try {
      l = JSON.parse(line) as ChildLine;
    } catch {
      console.log(`[${name}] ${line}`);
      return;
    }
    onLine(l);
    if (l.err?.code === 'EADDRINUSE') {
      // One line that names the port, rather than a stack trace under "server failed".
      explained.add(name);
      console.error(`port ${l.err.port ?? '?'} is in use`);
      return;
    }
    if ((l.level ?? 30) >= 40 || /listening|link open|simulator running/.test(l.msg ?? '')) console.log(`[${name}] ${l.msg ?? line}`);
  });
  createInterface({ input: child.stderr! }).on('line', (line) => console.error(`[${name}] ${line}`));
  child.on('exit', (code, signal) => {
    if (!stopping) {
      if (!explained.has(name)) console.error(`[${name}] exited (${signal ?? code}); stopping the rest`);
      stop(1);
    }
  });
  return child;
}

/** A promise of a log line, and the onLine hook that resolves it when a child logs it. */
function awaitLine(msg: string): { seen: Promise<void>; onLine: (l: ChildLine) => void } {
  let resolve: () => void = () => undefined;
  const seen = new Promise<void>((r) => (resolve = r));
  return { seen, onLine: (l) => l.msg === msg && resolve() };
}

/** Resolves once the relay answers /health at `url` with the agent linked. */
async function relayReady(url: string): Promise<void> {
  for (;;) {
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok && ((await res.json()) as { pi_connected?: unknown }).pi_connected === true) return;
    } catch {
      // Not answering yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

let stopping = false;
const children: ChildProcess[] = [];
function stop(code: number): void {
  if (stopping) return;
  stopping = true;
  console.log('stopping...');
  let left = children.filter((c) => c.exitCode === null && c.signalCode === null).length;
  if (left === 0) process.exit(code);
  for (const c of children) {
    c.once('exit', () => {
      left--;
      if (left === 0) process.exit(code);
    });
    c.kill('SIGTERM');
  }
  setTimeout(() => process.exit(code), 8000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

// The UI the relay serves is built output (out/renderer, not in git): on a fresh checkout, build it
// once before anything starts, so the address printed below opens the app and not the relay's
// "not built yet" page. Later starts use what is there (`npm run build` refreshes it).
if (!existsSync(join(root, 'out', 'renderer', 'index.html'))) {
  console.log('Building the UI once (out/renderer; about half a minute)...');
  // Its output is shown only if it fails: the build's warnings carry addresses of their own, and the
  // one address a person (or a script) should take from this output is the UI's, printed below.
  const built = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (built.status !== 0) {
    console.error(`${built.stdout}${built.stderr}`);
    console.error(`the UI build failed (${built.status ?? built.signal}); the relay will serve its placeholder page`);
  }
}

// The agent first: a relay started before the agent listens logs a link error on every first start.
const agentListening = awaitLine('agent listening');
const agent = run('agent', 'agent/src/main.ts', {
  HARDWARE: 'sim',
  DB_PATH: join(dataDir, 'agent.db'),
  WS_HOST: '127.0.0.1',
  WS_PORT: agentPort,
  SIM_SPEED: process.env.SIM_SPEED ?? '1',
  TIME_ZONE: process.env.TIME_ZONE ?? 'America/Denver',
}, agentListening.onLine);
children.push(agent);
console.log('Boiler Controller is starting (agent on the house simulator, relay on loopback)...');
// A child that stops first stops everything (its exit handler), so these never wait forever.
await agentListening.seen;
const relayListening = awaitLine('relay listening');
const relay = run('relay', 'nas-relay/src/main.ts', {
  DB_PATH: join(dataDir, 'relay.db'),
  PI_WS_URL: `ws://127.0.0.1:${agentPort}/ws`,
  HTTP_HOST: '127.0.0.1',
  HTTP_PORT: relayPort,
  ...(process.env.REDIS_URL === undefined ? {} : { REDIS_URL: process.env.REDIS_URL }),
}, relayListening.onLine);
children.push(relay);
await relayListening.seen;
const uiUrl = `http://127.0.0.1:${relayPort}`;
// The address is printed only once it answers, with the agent linked: what a person opens then works.
await relayReady(uiUrl);
if (!stopping) {
  console.log(`
Boiler Controller is running.
  UI:       ${uiUrl}/
  API key:  ${secrets.api_key}
  (kept in ${secretsFile})
Ctrl-C stops both.
`);
}
