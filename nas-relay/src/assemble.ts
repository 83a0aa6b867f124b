import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Codec } from '@boiler/shared';
import { nodeCompression } from '@boiler/service';
import type { RelayEnv } from './config.js';
import { Replica, ReplicaRetention } from './replica/index.js';
import { AgentLink, type LinkClientOptions } from './link/agent-link.js';
import { CommandQueue, SqliteCommandQueueStore, agentLinkTransport } from './queue/index.js';
import { createRelayCache } from './cache/index.js';
import { createRelayServer, type RelayApp } from './api/server.js';
import { LiveHub } from './api/live.js';
import { Relay } from './relay.js';
import { mustUseTls, loadRelayTls, pinnedAgent } from './tls/index.js';
import { Notifier, type NotifierOptions, type ResolvedChannel } from './notify/index.js';

export interface RelayAssemblyOptions {
  /** The built UI the relay serves. */
  uiDir: string;
  /** Link timings other than the defaults (the in-process tests shorten the backoff and the auth deadline). */
  link?: Partial<Pick<LinkClientOptions, 'backoffMinMs' | 'backoffMaxMs' | 'authTimeoutMs' | 'catchUpStallMs'>>;
  /** The channels of NOTIFY_FILE, read and checked by the caller (none: no notifier). */
  notifyChannels?: readonly ResolvedChannel[];
  /** Notifier timings other than the defaults (tests). */
  notify?: Partial<Pick<NotifierOptions, 'tickMs' | 'heartbeatMs' | 'delivery'>>;
}

/** A zone's last readings as the replica has them, for a notice: "room 18.5 °C, pipe 41.0 °C (heating)". */
function zoneNote(replica: Replica, zone: string): string | null {
  const z = replica.zone(zone);
  if (z === null) return null;
  const c = (v: number | null) => (v === null ? 'no reading' : `${v.toFixed(1)} °C`);
  return `room ${c(z.room_c)}, pipe ${c(z.pipe_c)}${z.setpoint_c === null ? '' : `, setpoint ${z.setpoint_c.toFixed(1)} °C`}`;
}

/** The relay's parts, opened and wired, not yet started. */
export interface AssembledRelay {
  readonly relay: Relay;
  readonly replica: Replica;
  readonly api: RelayApp;
  /** Present when NOTIFY_FILE or HEARTBEAT_URL is set. */
  readonly notifier: Notifier | undefined;
  /** The HTTPS certificate when the API serves TLS (its fingerprint is printed for pinning). */
  readonly tls: { fingerprint: string; certFile: string; origin: string } | undefined;
  /** Starts the link, the queue, the cache and retention, then listens; resolves with the port. */
  start(): Promise<number>;
  /** Stops everything and closes the files; never throws (a failure is logged). */
  stop(): Promise<void>;
}

/**
 * Opens the relay's parts from its checked environment and wires them (the replica and its
 * retention, the link to the agent, the durable command queue, the cache, the API and the live
 * hub). `main.ts` reads the config and handles the process; the tests assemble the same relay in
 * their own process.
 */
export async function assembleRelay(env: RelayEnv, secret: string, log: Logger, options: RelayAssemblyOptions): Promise<AssembledRelay> {
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
    ...options.link,
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
  const channels = options.notifyChannels ?? [];
  const notifier =
    channels.length > 0 || env.HEARTBEAT_URL !== undefined
      ? new Notifier(
          {
            dbPath: env.DB_PATH,
            channels,
            offlineAfterMs: env.NOTIFY_OFFLINE_AFTER * 1000,
            repeatMs: env.NOTIFY_REPEAT * 3_600_000,
            heartbeatUrl: env.HEARTBEAT_URL,
            zoneNote: (zone) => zoneNote(replica, zone),
            ...options.notify,
          },
          log.child({ component: 'notify' }),
        )
      : undefined;

  // Plain HTTP only on loopback; anywhere else HTTPS, with a self-signed certificate kept in the data dir when none is given.
  let tls: { cert: string; key: string } | undefined;
  let certificate: AssembledRelay['tls'];
  if (env.TLS_CERT !== undefined || mustUseTls(env.HTTP_HOST)) {
    const cert = await loadRelayTls({ dataDir, certFile: env.TLS_CERT, keyFile: env.TLS_KEY });
    tls = { cert: cert.cert, key: cert.key };
    certificate = { fingerprint: cert.fingerprint, certFile: cert.certFile, origin: cert.origin };
  }
  const api = await createRelayServer(
    relay,
    { apiKey: env.API_KEY, uiDir: options.uiDir, rate: { perSecond: env.API_RATE_LIMIT, burst: env.API_RATE_LIMIT * 2 }, ...(tls === undefined ? {} : { tls }) },
    log.child({ component: 'api' }),
  );
  if (notifier !== undefined) relay.attachNotifier(notifier);
  const live = new LiveHub(env.API_KEY, () => relay.liveSnapshot(), log.child({ component: 'live' }));
  live.attach(api.server, api.sessions);
  relay.attachLive(live);

  return {
    relay,
    replica,
    api,
    notifier,
    tls: certificate,
    async start() {
      await relay.start();
      notifier?.start(link, queue);
      retention.start();
      await api.listen({ port: env.HTTP_PORT, host: env.HTTP_HOST });
      const address = api.server.address();
      return typeof address === 'object' && address !== null ? address.port : env.HTTP_PORT;
    },
    async stop() {
      live.stop(api.server);
      retention.stop();
      void api.close();
      api.server.closeAllConnections();
      try {
        notifier?.stop();
        await relay.stop();
        queueStore.close();
        replica.close();
      } catch (err) {
        log.error({ err }, 'closing failed');
      }
    },
  };
}
