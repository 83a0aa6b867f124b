import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore, RelayCache, createRelayCache } from '../../src/cache/index.js';
import { describeCacheBehaviour } from './cache-behaviour.js';
import { SHARED_REDIS_URL, captureLog, deletePrefix, pollUntil, zoneState } from './fixtures.js';

// Tests of the shared Redis at 127.0.0.1:6379; each uses its own key prefix and deletes it after.
let raw: Redis;
beforeAll(async () => {
  raw = new Redis(SHARED_REDIS_URL, { lazyConnect: true });
  await raw.connect();
});
afterAll(async () => {
  await raw.quit();
});

const uniquePrefix = (): string => `test:relay-cache:${randomUUID()}:`;

describeCacheBehaviour('redis', async (ttlMs) => {
  const prefix = uniquePrefix();
  const { log, lines } = captureLog();
  // Timing is not what these tests look at: a generous command timeout keeps a busy test
  // machine from sending the cache to its fallback in the middle of one (redis-outage tests that).
  const store = new RedisStore({ url: SHARED_REDIS_URL, log, keyPrefix: prefix, commandTimeoutMs: 2000 });
  const cache = new RelayCache(store, { ttlMs, log });
  await cache.start();
  return {
    cache,
    lines,
    injectRaw: async (key, text) => {
      await raw.set(prefix + key, text, 'PX', 60_000);
    },
    ttl: (key) => store.ttl(key),
    // Asking Redis for PTTL also makes it drop a key whose time is up.
    expire: (key) => pollUntil(async () => (await raw.pttl(prefix + key)) === -2, `${key} to expire in redis`),
    close: async () => {
      await cache.stop();
      await deletePrefix(raw, prefix);
    },
  };
});

describe('RelayCache on redis: what lands in Redis', () => {
  let prefix: string;
  let cache: RelayCache | undefined;
  afterEach(async () => {
    await cache?.stop();
    cache = undefined;
    await deletePrefix(raw, prefix);
  });

  it('writes a batch of zones and the system state under its prefix, as JSON, with CACHE_TTL in seconds', async () => {
    prefix = uniquePrefix();
    cache = createRelayCache({ redisUrl: SHARED_REDIS_URL, ttlSeconds: 10, log: captureLog().log, keyPrefix: prefix });
    await cache.start();
    expect(cache.status()).toMatchObject({ backend: 'redis', state: 'healthy' });
    const z1 = zoneState('Z1');
    await cache.writeThrough({ zones: [z1, zoneState('Z2')], system: null });
    expect(JSON.parse((await raw.get(`${prefix}zone:Z1`)) ?? 'null')).toEqual(z1);
    expect((await raw.keys(`${prefix}*`)).sort()).toEqual([`${prefix}zone:Z1`, `${prefix}zone:Z2`]);
    const pttl = await raw.pttl(`${prefix}zone:Z2`);
    expect(pttl).toBeGreaterThan(9000);
    expect(pttl).toBeLessThanOrEqual(10_000);
  });

  it('empties its prefix when it connects, and only its prefix', async () => {
    prefix = uniquePrefix();
    const neighbour = `${uniquePrefix()}zone:Z1`;
    await raw.set(`${prefix}zone:Z1`, JSON.stringify(zoneState('Z1', { mode: 'ON' })));
    await raw.set(neighbour, 'kept', 'PX', 60_000);
    // A prefix with glob characters must match only itself.
    const globby = `${prefix}[x]*`;
    await raw.set(`${prefix}zone:Z9`, 'not under the globby prefix');
    cache = new RelayCache(new RedisStore({ url: SHARED_REDIS_URL, log: captureLog().log, keyPrefix: globby }), { ttlMs: 60_000, log: captureLog().log });
    await cache.start();
    expect(await raw.get(`${prefix}zone:Z9`)).toBe('not under the globby prefix');
    await cache.stop();

    cache = new RelayCache(new RedisStore({ url: SHARED_REDIS_URL, log: captureLog().log, keyPrefix: prefix }), { ttlMs: 60_000, log: captureLog().log });
    await cache.start();
    expect(await raw.exists(`${prefix}zone:Z1`)).toBe(0);
    expect(await raw.get(neighbour)).toBe('kept');
    await raw.del(neighbour);
  });
});
