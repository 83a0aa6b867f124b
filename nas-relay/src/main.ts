import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { Codec, ConfigError } from '@boiler/shared';
import { createLogger, exitOnConfigError, loadPartConfig, nodeCompression, readSecret } from '@boiler/service';
import { RelayEnv, linkTlsProblems } from './config.js';
import { Replica, ReplicaRetention } from './replica/index.js';
import { AgentLink } from './link/agent-link.js';
import { CommandQueue, SqliteCommandQueueStore, agentLinkTransport } from './queue/index.js';
import { createRelayCache } from './cache/index.js';
import { createRelayServer } from './api/server.js';
import { LiveHub } from './api/live.js';
import { Relay } from './relay.js';
import { mustUseTls, loadRelayTls, pinnedAgent } from './tls/index.js';

// Wiring only: read the config, open the parts, start them, stop them on a signal.

let env: RelayEnv;
let secret: string;
try {
  env = loadPartConfig(RelayEnv, { dir: dirname(import.meta.dirname) });
  const s = readSecret(env.SHARED_SECRET, env.SHARED_SECRET_FILE);
  if (s === undefined) throw new ConfigError(['SHARED_SECRET: required (or SHARED_SECRET_FILE): the agent link is authenticated with it (unset)']);
  secret = s;
  if ((env.TLS_CERT === undefined) !== (env.TLS_KEY === undefined)) throw new ConfigError(['TLS_CERT: TLS_CERT and TLS_KEY go together (only one is set)']);
  const linkProblems = linkTlsProblems(env);
  if (linkProblems.length > 0) throw new ConfigError(linkProblems);
} catch (err) {
  exitOnConfigError(err);
}

const log = createLogger({ name: 'relay', level: env.LOG_LEVEL });
// The config check refuses a missing key off loopback; on loopback it is allowed (a bench, `npm start` on one machine) but said.
if (env.API_KEY === undefined) log.warn({ host: env.HTTP_HOST }, 'no API_KEY: anyone on this machine can read and command the house through the relay (allowed on loopback only)');
const dataDir = dirname(env.DB_PATH);
mkdirSync(dataDir, { recursive: true });
const replica = Replica.open(env.DB_PATH);
const retention = new ReplicaRetention(replica, log.child({ component: 'retention' }), { retentionMs: env.SAMPLE_RETENTION_DAYS * 86_400_000 });
const link = new AgentLink(replica, new Codec(nodeCompression), log.child({ component: 'link' }), {
  url: env.PI_WS_URL,
  secret,
  // wss: the agent's self-signed certificate is accepted only with the pinned SHA-256, checked before a byte is written.
  ...(env.PI_TLS_FINGERPRINT === undefined ? {} : { socketOptions: { agent: pinnedAgent(env.PI_TLS_FINGERPRINT) } }),
  clientName: `relay@${hostname()}`.slice(0, 64),
  deadAfterMs: env.LINK_DEAD_AFTER * 1000,
});
const queueStore = SqliteCommandQueueStore.openBeside(env.DB_PATH);
const queue = new CommandQueue(
  queueStore,
  agentLinkTransport(link),
  { now: () => Date.now() },
  { timeoutMs: env.COMMAND_TIMEOUT * 1000 },
  log.child({ component: 'queue' }),
);
const cache = createRelayCache({ redisUrl: env.REDIS_URL, ttlSeconds: env.CACHE_TTL, log: log.child({ component: 'cache' }) });
const relay = new Relay(replica, link, queue, cache, log.child({ component: 'relay' }));

// Plain HTTP only on loopback; anywhere else HTTPS, with a self-signed certificate kept in the data dir when none is given.
let tls: { cert: string; key: string } | undefined;
if (env.TLS_CERT !== undefined || mustUseTls(env.HTTP_HOST)) {
  const cert = await loadRelayTls({ dataDir, certFile: env.TLS_CERT, keyFile: env.TLS_KEY });
  tls = { cert: cert.cert, key: cert.key };
  log.info({ fingerprint: cert.fingerprint, file: cert.certFile, origin: cert.origin }, 'TLS certificate (pin this SHA-256 fingerprint in the apps)');
  // Printed plainly too, for a person reading the console.
  process.stderr.write(`relay TLS certificate SHA-256 fingerprint: ${cert.fingerprint}\n`);
}
const uiDir = join(dirname(dirname(import.meta.dirname)), 'out', 'renderer');
const api = await createRelayServer(relay, { apiKey: env.API_KEY, uiDir, rate: { perSecond: env.API_RATE_LIMIT, burst: env.API_RATE_LIMIT * 2 }, ...(tls === undefined ? {} : { tls }) }, log.child({ component: 'api' }));
const live = new LiveHub(env.API_KEY, () => relay.liveSnapshot(), log.child({ component: 'live' }));
live.attach(api.server, api.sessions);
relay.attachLive(live);
await relay.start();
retention.start();

api.listen({ port: env.HTTP_PORT, host: env.HTTP_HOST }).then(
  () => {
    const address = api.server.address();
    const port = typeof address === 'object' && address !== null ? address.port : env.HTTP_PORT;
    log.info({ host: env.HTTP_HOST, port, tls: tls !== undefined, agent: env.PI_WS_URL, db: env.DB_PATH, last_seq: replica.appliedSeq() }, 'relay listening');
  },
  (err: unknown) => {
    log.fatal({ err }, 'HTTP server failed');
    void shutdown(1);
  },
);

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('relay stopping');
  setTimeout(() => process.exit(code), 4500).unref();
  live.stop(api.server);
  retention.stop();
  void api.close();
  api.server.closeAllConnections();
  try {
    await relay.stop();
    queueStore.close();
    replica.close();
  } catch (err) {
    log.error({ err }, 'closing failed');
  }
  log.flush();
  setImmediate(() => process.exit(code));
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  void shutdown(1);
});
