import { readFileSync } from 'node:fs';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { Codec, ConfigError, describeIssues } from '@boiler/shared';
import { TlsSetupError, createLogger, exitOnConfigError, isLoopbackHost, loadPartConfig, loadTlsPair, nodeCompression, readSecret } from '@boiler/service';
import { AgentEnv } from './config.js';
import { ZonesFile } from './zones.js';
import { AgentStore } from './store/index.js';
import { Agent } from './agent.js';
import { nodeIntervalTimer, type Hardware } from './hardware/types.js';
import { AliveMarkFile } from './alive-mark.js';
import { AgentBus } from './bus.js';
import { createApiServer } from './api/server.js';
import { LinkServer } from './sync/link-server.js';
import { Watchdog } from './watchdog.js';
import { createSimHardware, simHouseOptions, type SimulatedHouseOptions } from './hardware/simulator/index.js';
import type { EngineConfig } from './control/index.js';

// Wiring only: read the config, pick the hardware, start the parts, stop them on a signal.

let env: AgentEnv;
let zones: ZonesFile;
let secret: string | undefined;
let simOptions: SimulatedHouseOptions | undefined;
const realStart = Date.now();
try {
  env = loadPartConfig(AgentEnv, { dir: dirname(import.meta.dirname) });
  zones = readZones(env.ZONES_FILE);
  secret = readSecret(env.SHARED_SECRET, env.SHARED_SECRET_FILE);
  // Read once here: the key stays out of the unit file and the process list.
  if (env.API_KEY_FILE !== undefined) env = { ...env, API_KEY: readSecret(undefined, env.API_KEY_FILE, 'API_KEY_FILE') };
  if (env.HARDWARE === 'sim') simOptions = simHouseOptions(env, zones, env.TIME_ZONE, realStart);
} catch (err) {
  exitOnConfigError(err);
}

const log = createLogger({ name: 'agent', level: env.LOG_LEVEL });

// Off loopback the API and the relay link (/ws) are served over TLS, a second wall behind
// WireGuard: TLS_CERT/TLS_KEY, or a self-signed pair made beside DB_PATH on the first start and
// kept, whose fingerprint the relay pins (PI_TLS_FINGERPRINT). Loaded before any output is driven.
let tls: { cert: string; key: string } | undefined;
if (env.TLS_CERT !== undefined || env.TLS_KEY !== undefined || !isLoopbackHost(env.WS_HOST)) {
  try {
    const pair = await loadTlsPair({ role: 'agent', dataDir: dirname(env.DB_PATH), certFile: env.TLS_CERT, keyFile: env.TLS_KEY });
    tls = { cert: pair.cert, key: pair.key };
    log.info({ fingerprint: pair.fingerprint, file: pair.certFile, origin: pair.origin }, 'TLS certificate (pin this SHA-256 fingerprint on the relay as PI_TLS_FINGERPRINT)');
    // Printed plainly too, for a person reading the console.
    process.stderr.write(`agent TLS certificate SHA-256 fingerprint: ${pair.fingerprint}\n`);
  } catch (err) {
    exitOnConfigError(err instanceof TlsSetupError ? new ConfigError([err.message]) : err);
  }
}
const config: EngineConfig = { ...zones, time_zone: env.TIME_ZONE };

mkdirSync(dirname(env.DB_PATH), { recursive: true });
const store = openStore(env.DB_PATH);
// A board that does not match its description stops the agent with one line per problem.
const hardware = await buildHardware().catch(exitOnConfigError);
const bus = new AgentBus(log.child({ component: 'bus' }));
const watchdog = new Watchdog(process.env);
// The sign of life sits beside the database: a restart reads it to know when the old process died.
const aliveMarks = new AliveMarkFile(`${env.DB_PATH}.alive`);
// With the simulator running fast, tick often enough that a tick is a few simulated seconds at most.
const tickMs = hardware.kind === 'sim' ? Math.max(50, Math.min(1000, 5000 / env.SIM_SPEED)) : 1000;
const agent = new Agent(
  config,
  store,
  hardware,
  bus,
  log.child({ component: 'control' }),
  { aliveMarks, sampleRetentionMs: env.SAMPLE_RETENTION_DAYS * 86_400_000, loop: { everyMs: tickMs, timer: nodeIntervalTimer } },
  () => watchdog.fed(),
);
agent.start();

const api = createApiServer(agent, { apiKey: env.API_KEY, rate: { perSecond: env.API_RATE_LIMIT, burst: env.API_RATE_LIMIT * 2 }, ...(tls === undefined ? {} : { tls }) }, log.child({ component: 'api' }));
let link: LinkServer | undefined;
if (secret !== undefined) {
  link = new LinkServer(agent, bus, new Codec(nodeCompression), log.child({ component: 'link' }), {
    secret,
    agentName: zones.site.slice(0, 64),
    batchIntervalMs: env.BATCH_INTERVAL * 1000,
    heartbeatIntervalMs: env.HEARTBEAT_INTERVAL * 1000,
  });
  link.attach(api.server);
} else {
  log.warn('no SHARED_SECRET: the relay link (/ws) is off; the house is controlled locally only');
}
if (env.API_KEY === undefined) log.warn('no API_KEY: the API is read-only');

api.listen({ port: env.WS_PORT, host: env.WS_HOST }).then(
  () => {
    const address = api.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : env.WS_PORT;
    log.info({ host: env.WS_HOST, port, tls: tls !== undefined, hardware: hardware.kind, db: env.DB_PATH, zones: zones.zones.length }, 'agent listening');
    watchdog.ready();
  },
  (err: unknown) => {
    log.fatal({ err }, 'API server failed');
    shutdown(1);
  },
);

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  watchdog.stopping();
  log.info('stopping: outputs to safe state');
  // Exit within 5 s whatever hangs.
  setTimeout(() => process.exit(code), 4500).unref();
  // The relay gets everything up to this instant before the outputs are released and the link closes.
  link?.flushAll();
  agent.stop();
  link?.stop(api.server);
  hardware.relays.close();
  hardware.inputs.close();
  hardware.sensors.close();
  aliveMarks.close();
  void api.close();
  api.server.closeAllConnections();
  try {
    store.close();
  } catch (err) {
    log.error({ err }, 'closing the database failed');
  }
  log.flush();
  process.exitCode = code;
  setImmediate(() => process.exit(code));
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  shutdown(1);
});

/**
 * Opens the database; on a full disk the normal open fails (the WAL's -shm file cannot be made),
 * and a process that exits here would leave every relay released in a restart loop. So it tries
 * once more holding the lock exclusively (no -shm file): the agent then heats from memory with
 * writes failing, a storage fault like any other, until space is freed.
 */
function openStore(path: string): AgentStore {
  try {
    return AgentStore.open(path);
  } catch (err) {
    log.error({ code: (err as { code?: unknown }).code, error: (err as Error).message }, 'opening the database failed; opening it again with an exclusive lock (a full disk?)');
    const store = AgentStore.open(path, { exclusive: true });
    log.warn('database open with an exclusive lock until the next restart: other processes cannot read it');
    return store;
  }
}

function readZones(file: string): ZonesFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`ZONES_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  const parsed = ZonesFile.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `ZONES_FILE: ${describeIssues([i])}`));
  return parsed.data;
}

async function buildHardware(): Promise<Hardware> {
  if (env.HARDWARE === 'pi') {
    const { buildPiHardware } = await import('./hardware/pi.js');
    return buildPiHardware(zones, env.HARDWARE_FILE, log.child({ component: 'hardware' }), env.GPIO_SYSFS_ROOT);
  }
  if (simOptions === undefined) throw new Error('simulator options were not read at start');
  return createSimHardware(zones, { house: simOptions, speed: env.SIM_SPEED, realStart }, log.child({ component: 'simulator' }));
}
