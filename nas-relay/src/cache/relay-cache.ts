import { EventEmitter } from 'node:events';
import type { z } from 'zod';
import { SystemState, ZoneState, safeParseUnknown, type EventEntry, type ZoneName } from '@boiler/shared';
import type { EventQuery, Logger } from '@boiler/service';
import { EVENT_RING_CAPACITY, EventRing } from './event-ring.js';
import { MemoryStore } from './memory-store.js';
import { RedisStore } from './redis-store.js';
import { requireTtl, type CacheBackend, type CacheStore } from './store.js';

export type CacheState = 'healthy' | 'degraded';

/** What /health and /metrics report of the cache. */
export interface CacheStatus {
  backend: CacheBackend;
  /** degraded while Redis cannot be used and the relay answers from memory and the replica. */
  state: CacheState;
  /** hits / (hits + misses) since start; null before the first read. */
  hit_rate: number | null;
  hits: number;
  misses: number;
  /** Stored values that failed to parse and were treated as misses. */
  corrupt: number;
}

/** Reads the value from the source of truth (the replica) on a miss. */
export type Loader<T> = () => T | Promise<T>;

/** What one applied batch changed, written through to the cache. */
export interface WriteThrough {
  zones?: readonly ZoneState[];
  system?: SystemState | null;
  events?: readonly EventEntry[];
}

/** The cache's keys, before the store's prefix. */
export const cacheKeys = {
  zone: (name: ZoneName): string => `zone:${name}`,
  system: 'system',
} as const;

export interface RelayCacheOptions {
  /** How long a written or loaded value stays (CACHE_TTL, in ms). */
  ttlMs: number;
  log: Logger;
  /** The clock of the in-memory store's expiry. */
  now?: () => number;
  eventCapacity?: number;
}

interface RelayCacheEvents {
  /** The cache became healthy or degraded. */
  state: [state: CacheState];
}

/**
 * The relay's read cache in front of the replica: every zone's current state and the system
 * state with a time to live, and the last events in a ring. The relay writes every applied
 * batch through it, so it is never staler than the replica; a miss reads through a loader.
 * With Redis as its store it mirrors every write into an in-process store as well, and while
 * Redis cannot answer it reads from that and the loader and reports itself degraded.
 */
export class RelayCache extends EventEmitter<RelayCacheEvents> {
  private readonly fallback: CacheStore;
  private readonly ring: EventRing;
  private readonly ttlMs: number;
  private readonly log: Logger;
  private hits = 0;
  private misses = 0;
  private corrupt = 0;
  /**
   * Bumped by every write-through. A loaded value is stored only if no write came between the
   * loader call and the store, so a slow load can never overwrite a newer state.
   */
  private generation = 0;
  /** Every zone name the replica holds, once one load of all zones has told us; null until then. */
  private zoneNames: Set<ZoneName> | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(
    private readonly store: CacheStore,
    options: RelayCacheOptions,
  ) {
    super();
    requireTtl(options.ttlMs);
    this.ttlMs = options.ttlMs;
    this.log = options.log;
    this.fallback = store.backend === 'memory' ? store : new MemoryStore(options.now);
    this.ring = new EventRing(options.eventCapacity ?? EVENT_RING_CAPACITY);
  }

  get backend(): CacheBackend {
    return this.store.backend;
  }

  /** Starts the store (resolving, degraded, when Redis is unreachable); the hit rate counts from here. */
  async start(): Promise<void> {
    if (this.unsubscribe !== null) return;
    this.hits = 0;
    this.misses = 0;
    this.corrupt = 0;
    this.unsubscribe = this.store.onAvailability((available) => this.emit('state', available ? 'healthy' : 'degraded'));
    await this.store.start();
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    await this.store.stop();
    if (this.fallback !== this.store) await this.fallback.stop();
    this.ring.clear();
  }

  status(): CacheStatus {
    const reads = this.hits + this.misses;
    return {
      backend: this.store.backend,
      state: this.store.available ? 'healthy' : 'degraded',
      hit_rate: reads === 0 ? null : this.hits / reads,
      hits: this.hits,
      misses: this.misses,
      corrupt: this.corrupt,
    };
  }

  /**
   * Writes a batch through once the replica has committed it (every batch, full-sync pages
   * included): the memory side at once, before this returns, and Redis in one MULTI. Resolves
   * when Redis has it or has been found down; never rejects.
   */
  async writeThrough(batch: WriteThrough): Promise<void> {
    this.generation++;
    if (batch.events !== undefined) this.ring.push(batch.events);
    const entries: [string, string][] = [];
    for (const zone of batch.zones ?? []) {
      entries.push([cacheKeys.zone(zone.zone), JSON.stringify(zone)]);
      this.zoneNames?.add(zone.zone);
    }
    if (batch.system !== undefined && batch.system !== null) entries.push([cacheKeys.system, JSON.stringify(batch.system)]);
    if (entries.length === 0) return;
    if (this.fallback !== this.store) void this.fallback.set(entries, this.ttlMs);
    if (!this.store.available) return;
    try {
      await this.store.set(entries, this.ttlMs);
    } catch (err) {
      // The store has marked itself unavailable and will be emptied before it is used again.
      this.log.debug({ err: String(err) }, 'cache write-through failed');
    }
  }

  /** A zone's current state, or null when the loader knows no such zone. */
  async zone(name: ZoneName, load: Loader<ZoneState | null>): Promise<ZoneState | null> {
    const key = cacheKeys.zone(name);
    const [text] = await this.lookup([key]);
    const cached = this.decode(ZoneState, text, key, (z) => z.zone === name);
    if (cached !== null) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const generation = this.generation;
    const loaded = await load();
    if (loaded !== null) {
      this.zoneNames?.add(loaded.zone);
      if (generation === this.generation) await this.fill([[key, JSON.stringify(loaded)]]);
    }
    return loaded;
  }

  /** Every zone's current state, by zone name. A hit needs every zone the replica holds. */
  async zones(load: Loader<readonly ZoneState[]>): Promise<ZoneState[]> {
    if (this.zoneNames !== null) {
      const names = [...this.zoneNames].sort();
      const keys = names.map(cacheKeys.zone);
      const texts = await this.lookup(keys);
      const states: ZoneState[] = [];
      for (const [i, name] of names.entries()) {
        const state = this.decode(ZoneState, texts[i], keys[i] ?? name, (z) => z.zone === name);
        if (state === null) break;
        states.push(state);
      }
      if (states.length === names.length) {
        this.hits++;
        return states;
      }
    }
    this.misses++;
    const generation = this.generation;
    const loaded = [...(await load())];
    if (generation === this.generation) {
      this.zoneNames = new Set(loaded.map((z) => z.zone));
      await this.fill(loaded.map((z) => [cacheKeys.zone(z.zone), JSON.stringify(z)]));
    }
    return loaded;
  }

  /** The site's current system state, or null until the agent has sent one. */
  async system(load: Loader<SystemState | null>): Promise<SystemState | null> {
    const key = cacheKeys.system;
    const [text] = await this.lookup([key]);
    const cached = this.decode(SystemState, text, key);
    if (cached !== null) {
      this.hits++;
      return cached;
    }
    this.misses++;
    const generation = this.generation;
    const loaded = await load();
    if (loaded !== null && generation === this.generation) await this.fill([[key, JSON.stringify(loaded)]]);
    return loaded;
  }

  /** The newest events matching `query`, newest first: from the ring when it holds them all, else from the loader. */
  async events(query: EventQuery, load: Loader<readonly EventEntry[]>): Promise<EventEntry[]> {
    const found = this.ring.query(query);
    if (found !== null) {
      this.hits++;
      return [...found];
    }
    this.misses++;
    return [...(await load())];
  }

  /** Reads from the store while it can answer, else from the in-process fallback. */
  private async lookup(keys: readonly string[]): Promise<(string | null)[]> {
    if (this.store.available) {
      try {
        return await this.store.get(keys);
      } catch (err) {
        this.log.debug({ err: String(err) }, 'cache read failed; using the in-process fallback');
      }
    }
    return this.fallback.get(keys);
  }

  /** Stores loaded values where the next read will look; a failure only costs a later miss. */
  private async fill(entries: readonly (readonly [string, string])[]): Promise<void> {
    if (entries.length === 0) return;
    const target = this.store.available ? this.store : this.fallback;
    try {
      await target.set(entries, this.ttlMs);
    } catch (err) {
      this.log.debug({ err: String(err) }, 'cache fill failed');
    }
  }

  /** Parses a stored value with its schema; anything unreadable is logged and counts as a miss. */
  private decode<S extends z.ZodType>(schema: S, text: string | null | undefined, key: string, belongs?: (value: z.output<S>) => boolean): z.output<S> | null {
    if (text === null || text === undefined) return null;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      return this.unreadable(key, `not JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    const parsed = safeParseUnknown(schema, value, `cached ${key}`);
    if (!parsed.ok) return this.unreadable(key, parsed.error.message);
    if (belongs !== undefined && !belongs(parsed.value)) return this.unreadable(key, 'stored under another key');
    return parsed.value;
  }

  private unreadable(key: string, reason: string): null {
    this.corrupt++;
    this.log.warn({ key, backend: this.store.backend, reason }, 'cached value unreadable; treated as a miss');
    return null;
  }
}

export interface RelayCacheConfig {
  /** REDIS_URL; unset: the in-process store. */
  redisUrl?: string | undefined;
  /** CACHE_TTL, in seconds. */
  ttlSeconds: number;
  log: Logger;
  keyPrefix?: string;
  /** The in-process store's clock. */
  now?: () => number;
}

/** The cache the relay's configuration asks for (not started). */
export function createRelayCache(config: RelayCacheConfig): RelayCache {
  const ttlMs = Math.round(config.ttlSeconds * 1000);
  const options: RelayCacheOptions = { ttlMs, log: config.log, ...(config.now === undefined ? {} : { now: config.now }) };
  if (config.redisUrl === undefined) return new RelayCache(new MemoryStore(config.now), options);
  const store = new RedisStore({
    url: config.redisUrl,
    log: config.log,
    ...(config.keyPrefix === undefined ? {} : { keyPrefix: config.keyPrefix }),
  });
  return new RelayCache(store, options);
}
