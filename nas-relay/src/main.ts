import { dirname, join } from 'node:path';
import { ConfigError } from '@boiler/shared';
import { createLogger, exitOnConfigError, loadPartConfig, readSecret } from '@boiler/service';
import { RelayEnv, linkTlsProblems } from './config.js';
import { assembleRelay } from './assemble.js';
import { loadNotifyFile, type ResolvedChannel } from './notify/index.js';

// Wiring only: read the config, open the parts, start them, stop them on a signal.

let env: RelayEnv;
let secret: string;
let notifyChannels: ResolvedChannel[] = [];
try {
  env = loadPartConfig(RelayEnv, { dir: dirname(import.meta.dirname) });
  const s = readSecret(env.SHARED_SECRET, env.SHARED_SECRET_FILE);
  if (s === undefined) throw new ConfigError(['SHARED_SECRET: required (or SHARED_SECRET_FILE): the agent link is authenticated with it (unset)']);
  secret = s;
  // Read once here: the key stays out of the compose file and the container's environment.
  if (env.API_KEY_FILE !== undefined) env = { ...env, API_KEY: readSecret(undefined, env.API_KEY_FILE, 'API_KEY_FILE') };
  if ((env.TLS_CERT === undefined) !== (env.TLS_KEY === undefined)) throw new ConfigError(['TLS_CERT: TLS_CERT and TLS_KEY go together (only one is set)']);
  const linkProblems = linkTlsProblems(env);
  if (linkProblems.length > 0) throw new ConfigError(linkProblems);
  // Every problem of the notifications file (and every secret it cannot read) stops the start, named.
  if (env.NOTIFY_FILE !== undefined) notifyChannels = loadNotifyFile(env.NOTIFY_FILE);
} catch (err) {
  exitOnConfigError(err);
}

const log = createLogger({ name: 'relay', level: env.LOG_LEVEL });
// The config check refuses a missing key off loopback; on loopback it is allowed (a bench, `npm start` on one machine) but said.
if (env.API_KEY === undefined) log.warn({ host: env.HTTP_HOST }, 'no API_KEY: anyone on this machine can read and command the house through the relay (allowed on loopback only)');
const uiDir = join(dirname(dirname(import.meta.dirname)), 'out', 'renderer');
const parts = await assembleRelay(env, secret, log, { uiDir, notifyChannels });
if (parts.notifier !== undefined) log.info({ channels: parts.notifier.channels().map((c) => `${c.name} (${c.type}: ${c.target})`), heartbeat: env.HEARTBEAT_URL !== undefined }, 'notifications on');
if (parts.tls !== undefined) {
  log.info({ fingerprint: parts.tls.fingerprint, file: parts.tls.certFile, origin: parts.tls.origin }, 'TLS certificate (pin this SHA-256 fingerprint in the apps)');
  // Printed plainly too, for a person reading the console.
  process.stderr.write(`relay TLS certificate SHA-256 fingerprint: ${parts.tls.fingerprint}\n`);
}
parts.start().then(
  (port) => {
    log.info({ host: env.HTTP_HOST, port, tls: parts.tls !== undefined, agent: env.PI_WS_URL, db: env.DB_PATH, last_seq: parts.replica.appliedSeq() }, 'relay listening');
  },
  (err: unknown) => {
    log.fatal({ err }, 'relay failed to start (its HTTP port, or a part it opens)');
    void shutdown(1);
  },
);

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info('relay stopping');
  setTimeout(() => process.exit(code), 4500).unref();
  await parts.stop();
  log.flush();
  setImmediate(() => process.exit(code));
}
process.on('SIGTERM', () => void shutdown(0));
process.on('SIGINT', () => void shutdown(0));
process.on('uncaughtException', (err) => {
  log.fatal({ err }, 'uncaught exception');
  void shutdown(1);
});
