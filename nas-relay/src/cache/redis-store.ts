import { Redis } from 'ioredis';
import type { Logger } from '@boiler/service';
import { CacheUnavailableError } from './errors.js';
import { requireTtl, type CacheStore } from './store.js';

export interface RedisStoreOptions {
  /** redis:// or rediss:// URL (REDIS_URL). */
  url: string;
  log: Logger;
  /** Put before every key, so the relay's keys never collide with anything else in the database. */
  keyPrefix?: string;
  /** How long one command may take before Redis counts as down. */
  commandTimeoutMs?: number;
  /** How long one connection attempt may take. */
  connectTimeoutMs?: number;
  /** How often a connection that stopped answering is probed until it answers again. */
  probeIntervalMs?: number;
  /** The longest pause between reconnection attempts. */
  maxReconnectDelayMs?: number;
}

export const DEFAULT_REDIS_KEY_PREFIX = 'boiler:relay:';

/** Escapes the glob characters of a SCAN MATCH pattern. */
function globLiteral(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}

/**
 * The cache's Redis store. It never queues: while Redis is not known good every call rejects
 * at once with CacheUnavailableError, and a command that stalls fails after commandTimeoutMs,
 * so a dead Redis costs a request at most about that long. ioredis reconnects by itself; each
 * time the connection (re)opens, or answers again after a failed command, the store deletes
 * every key under its prefix before it counts as available, because writes made while it was
 * unreachable never reached it and what it still holds may be older than the replica.
 */
export class RedisStore implements CacheStore {
  readonly backend = 'redis';
  private client: Redis | null = null;
  private up = false;
  /** Bumped on every loss, so a recovery that raced one does not declare Redis good. */
  private losses = 0;
  private recovery: Promise<void> | null = null;
  private probe: NodeJS.Timeout | null = null;
  private readonly listeners = new Set<(available: boolean) => void>();
  private readonly prefix: string;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.keyPrefix ?? DEFAULT_REDIS_KEY_PREFIX;
  }

  get available(): boolean {
    return this.up;
  }

  /** Connects; resolves (degraded) rather than rejects when Redis is unreachable, and keeps trying. */
  async start(): Promise<void> {
    if (this.client !== null) return;
    const o = this.options;
    const maxDelay = o.maxReconnectDelayMs ?? 2000;
    const client = new Redis(o.url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      autoResendUnfulfilledCommands: false,
      maxRetriesPerRequest: 0,
      connectTimeout: o.connectTimeoutMs ?? 500,
      commandTimeout: o.commandTimeoutMs ?? 250,
      retryStrategy: (attempt) => Math.min(50 * attempt, maxDelay),
    });
    this.client = client;
    client.on('ready', () => {
      if (this.client === client) void this.recover();
    });
    client.on('close', () => {
      if (this.client === client) this.lost('connection closed');
    });
    // ioredis reports every failed reconnection; the transition is logged once, in lost().
    client.on('error', (err: Error) => {
      if (this.client === client) o.log.debug({ err: err.message }, 'redis error');
    });
    try {
      await client.connect();
    } catch (err) {
      if (this.client === client) o.log.warn({ err: String(err) }, 'redis unreachable at start; the cache answers from memory until it is back');
      return;
    }
    await this.recover();
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.clearProbe();
    this.setUp(false);
    if (client === null || client.status === 'end') return;
    // Between attempts there is no socket: disconnect() only cancels the next attempt and ioredis
    // never says 'end'. Otherwise it closes the socket and 'end' follows.
    if (client.status === 'reconnecting') {
      client.disconnect();
      return;
    }
    const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
    client.disconnect();
    await ended;
  }

  async get(keys: readonly string[]): Promise<(string | null)[]> {
    if (keys.length === 0) return [];
    const client = this.usable();
    try {
      return await client.mget(keys.map((k) => this.prefix + k));
    } catch (err) {
      throw this.failed('a read failed', err);
    }
  }

  async set(entries: readonly (readonly [key: string, value: string])[], ttlMs: number): Promise<void> {
    requireTtl(ttlMs);
    if (entries.length === 0) return;
    const client = this.usable();
    const multi = client.multi();
    for (const [key, value] of entries) multi.set(this.prefix + key, value, 'PX', ttlMs);
    let results: [Error | null, unknown][] | null;
    try {
      results = await multi.exec();
    } catch (err) {
      throw this.failed('a write failed', err);
    }
    const err = results === null ? new Error('transaction discarded') : results.find(([e]) => e !== null)?.[0];
    if (err !== undefined && err !== null) throw this.failed('a write failed', err);
  }

  async ttl(key: string): Promise<number | null> {
    const client = this.usable();
    let ms: number;
    try {
      ms = await client.pttl(this.prefix + key);
    } catch (err) {
      throw this.failed('a read failed', err);
    }
    if (ms === -2) return null;
    return ms === -1 ? Number.POSITIVE_INFINITY : ms;
  }

  onAvailability(listener: (available: boolean) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private usable(): Redis {
    if (this.client === null) throw new CacheUnavailableError('redis store not started');
    if (!this.up) throw new CacheUnavailableError(`redis is ${this.client.status === 'ready' ? 'recovering' : this.client.status}`);
    return this.client;
  }

  private failed(what: string, err: unknown): CacheUnavailableError {
    this.lost(what, err);
    return new CacheUnavailableError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }

  /** Redis stopped answering (or a write may not have landed): stop using it until it is purged again. */
  private lost(reason: string, err?: unknown): void {
    this.losses++;
    if (this.up) {
      this.setUp(false);
      this.options.log.warn({ reason, err: err === undefined ? undefined : String(err) }, 'redis unavailable; the cache answers from memory and the replica');
    }
    // A command that failed on a connection ioredis still holds open will never bring a new
    // 'ready' event, so probe it; a closed connection reconnects and says 'ready' by itself.
    if (this.client?.status === 'ready') this.scheduleProbe();
  }

  private recover(): Promise<void> {
    this.recovery ??= this.purgeThenUse().finally(() => {
      this.recovery = null;
    });
    return this.recovery;
  }

  private async purgeThenUse(): Promise<void> {
    const client = this.client;
    if (client === null || client.status !== 'ready') return;
    const losses = this.losses;
    try {
      await this.purge(client);
    } catch (err) {
      this.options.log.debug({ err: String(err) }, 'redis purge failed; probing again');
      if (this.client === client && client.status === 'ready') this.scheduleProbe();
      return;
    }
    if (this.client !== client || client.status !== 'ready') return;
    if (this.losses !== losses) {
      this.scheduleProbe();
      return;
    }
    if (!this.up) this.options.log.info({ prefix: this.prefix }, 'redis available; the cache uses it again');
    this.setUp(true);
  }

  /** Deletes every key under the prefix (the relay's own, and few). */
  private async purge(client: Redis): Promise<void> {
    const match = `${globLiteral(this.prefix)}*`;
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', match, 'COUNT', 500);
      if (keys.length > 0) await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
  }

  private scheduleProbe(): void {
    if (this.probe !== null || this.client === null) return;
    this.probe = setTimeout(() => {
      this.probe = null;
      void this.recover();
    }, this.options.probeIntervalMs ?? 250);
    this.probe.unref();
  }

  private clearProbe(): void {
    if (this.probe === null) return;
    clearTimeout(this.probe);
    this.probe = null;
  }

  private setUp(up: boolean): void {
    if (this.up === up) return;
    this.up = up;
    for (const listener of this.listeners) listener(up);
  }
}
