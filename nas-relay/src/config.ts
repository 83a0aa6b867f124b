import { z } from 'zod';
import { join } from 'node:path';
import { isLoopbackHost } from '@boiler/service';
import { envNumber, envPort, envSecret, LogLevel } from '@boiler/shared';

const relayDir = join(import.meta.dirname, '..');

/** The relay's environment (names from the architecture guide); every value checked at start. */
export const RelayEnv = z.object({
  PI_WS_URL: z
    .string()
    .regex(/^wss?:\/\/[^\s]+$/, 'expected a ws:// or wss:// URL')
    .default('ws://127.0.0.1:8001/ws'),
  DB_PATH: z.string().min(1).default(join(relayDir, 'data', 'relay.db')),
  /** Unset: an in-process cache. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'expected a redis:// URL')
    .optional(),
  CACHE_TTL: envNumber({ min: 1, max: 3600 }).default(10),
  COMMAND_TIMEOUT: envNumber({ min: 1, max: 600 }).default(30),
  LOG_LEVEL: LogLevel.default('info'),
  HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  HTTP_PORT: envPort.default(8000),
  TLS_CERT: z.string().min(1).optional(),
  TLS_KEY: z.string().min(1).optional(),
  API_KEY: envSecret.optional(),
  /** The API key in a file (Docker secrets: /run/secrets/...), read at start like SHARED_SECRET_FILE; wins over API_KEY. */
  API_KEY_FILE: z.string().min(1).optional(),
  SHARED_SECRET: envSecret.optional(),
  SHARED_SECRET_FILE: z.string().min(1).optional(),
  /** Requests per second each API client may make (bursts of twice that). */
  API_RATE_LIMIT: envNumber({ min: 1, max: 100_000 }).default(50),
  /** Seconds of silence after which the agent link is dead. */
  LINK_DEAD_AFTER: envNumber({ min: 1, max: 3600 }).default(90),
  /** SHA-256 of the agent's certificate (AB:CD:… or plain hex), pinned on a wss:// PI_WS_URL. */
  PI_TLS_FINGERPRINT: z
    .string()
    .trim()
    .regex(/^(?:[0-9A-Fa-f]{2}:){31}[0-9A-Fa-f]{2}$|^[0-9A-Fa-f]{64}$/, 'expected the SHA-256 fingerprint the agent prints at start (AB:CD:…, 32 bytes)')
    .optional(),
  /** Days the replica keeps raw samples; rollups (15 min, hour, day) are kept for good. */
  SAMPLE_RETENTION_DAYS: envNumber({ min: 1, max: 3650 }).default(30),
  /** The notifications file (JSON: ntfy, Gotify, webhook and e-mail channels); unset: no notices are sent. */
  NOTIFY_FILE: z.string().min(1).optional(),
  /** Seconds the Pi may be unlinked before "Pi offline" goes out (10 min). */
  NOTIFY_OFFLINE_AFTER: envNumber({ min: 1, max: 7 * 86_400 }).default(600),
  /** Hours between reminders while an alert lasts unacknowledged (freeze risk: a quarter of it). */
  NOTIFY_REPEAT: envNumber({ min: 0.0001, max: 24 * 30 }).default(4),
  /** A healthchecks.io-style URL called every minute while the Pi is linked: silence there means the relay, the NAS or the home network is down. */
  HEARTBEAT_URL: z
    .string()
    .regex(/^https?:\/\/[^\s]+$/, 'expected an http:// or https:// URL')
    .optional(),
}).superRefine((env, ctx) => {
  // Without a key anyone who reaches the relay reads the house (empty or not) and commands it;
  // that is only acceptable when nobody but this machine can reach it.
  if (env.API_KEY === undefined && env.API_KEY_FILE === undefined && !isLoopbackHost(env.HTTP_HOST)) {
    ctx.addIssue({ code: 'custom', path: ['API_KEY'], message: `required when HTTP_HOST (${env.HTTP_HOST}) is not loopback only: without it anyone who reaches the relay reads and commands the house` });
  }
});
export type RelayEnv = z.infer<typeof RelayEnv>;

/**
 * What is wrong with how the relay reaches the agent, one line per problem: a wss:// link
 * needs the agent's certificate pinned (it is self-signed, so only the pin says it is the
 * agent), a pin without wss:// would guard nothing, and ws:// goes only to an agent on this
 * machine (off loopback the agent serves wss:// alone).
 */
export function linkTlsProblems(env: Pick<RelayEnv, 'PI_WS_URL' | 'PI_TLS_FINGERPRINT'>): string[] {
  const url = env.PI_WS_URL;
  const secure = url.startsWith('wss://');
  if (secure && env.PI_TLS_FINGERPRINT === undefined) {
    return ['PI_TLS_FINGERPRINT: required with a wss:// PI_WS_URL: the SHA-256 fingerprint the agent prints at start (unset)'];
  }
  if (!secure && env.PI_TLS_FINGERPRINT !== undefined) return ['PI_TLS_FINGERPRINT: set, but PI_WS_URL is ws:// (nothing to pin); use wss://'];
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return [`PI_WS_URL: not a URL (${url.slice(0, 100)})`];
  }
  if (!secure && !isLoopbackHost(host)) return [`PI_WS_URL: ws:// only reaches an agent on this machine; ${host} is not loopback, so use wss:// and PI_TLS_FINGERPRINT`];
  return [];
}
