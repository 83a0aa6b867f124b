import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hostname } from 'node:os';
import { Codec, ConfigError } from '@boiler/shared';
import { createLogger, exitOnConfigError, loadPartConfig, nodeCompression, readSecret } from '@boiler/service';
import { RelayEnv } from './config.js';
import { Replica, LagWindow } from './replica/index.js';
import { AgentLink } from './link/agent-link.js';
import { createRelayServer } from './api/server.js';

// Wiring only: read the config, open the replica, link to the agent, serve the apps.

let env: RelayEnv;
let secret: string;
try {
  env = loadPartConfig(RelayEnv, { dir: dirname(import.meta.dirname) });
  const s = readSecret(env.SHARED_SECRET, env.SHARED_SECRET_FILE);
  if (s === undefined) throw new ConfigError(['SHARED_SECRET: required (or SHARED_SECRET_FILE): the agent link is authenticated with it (unset)']);
  secret = s;
} catch (err) {
  exitOnConfigError(err);
}

const log = createLogger({ name: 'relay', level: env.LOG_LEVEL });
mkdirSync(dirname(env.DB_PATH), { recursive: true });
const replica = Replica.open(env.DB_PATH);
const link = new AgentLink(replica, new Codec(nodeCompression), log.child({ component: 'link' }), {
  url: env.PI_WS_URL,
  secret,
  clientName: `relay@${hostname()}`.slice(0, 64),
  deadAfterMs: env.LINK_DEAD_AFTER * 1000,
});
// Replica lag by kind: ON/OFF and other events sent at once, and samples sent in batches.
const lagByKind = { urgent: new LagWindow(), sample: new LagWindow() };
link.listen({
  applied(events, at) {
    lagByKind.urgent.record(events.filter((e) => e.event !== 'SAMPLE').map((e) => e.ts), at);
    lagByKind.sample.record(events.filter((e) => e.event === 'SAMPLE').map((e) => e.ts), at);
  },
});
const server = createRelayServer({ replica, link, lagByKind }, { apiKey: env.API_KEY, uiDir: join(dirname(dirname(import.meta.dirname)), 'out', 'renderer') }, log.child({ component: 'api' }));

link.start();
server.listen(env.HTTP_PORT, env.HTTP_HOST, () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : env.HTTP_PORT;
  log.info({ host: env.HTTP_HOST, port, agent: env.PI_WS_URL, db: env.DB_PATH, last_seq: replica.appliedSeq() }, 'relay listening');
});
server.on('error', (err) => {
  log.fatal({ err }, 'HTTP server failed');
  shutdown(1);
});

let stopping = false;
function shutdown(code: number): void {
  if (stopping) return;
  stopping = true;
  log.info('relay stopping');
  setTimeout(() => process.exit(code), 4500).unref();
  link.stop();
  server.close();
  server.closeAllConnections();
  try {
    replica.close();
  } catch (err) {
    log.error({ err }, 'closing the replica failed');
  }
  log.flush();
  setImmediate(() => process.exit(code));
}
process.on('SIGTERM', () => shutdown(0));
process.on('SIGINT', () => shutdown(0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  shutdown(1);
});
