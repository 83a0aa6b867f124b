import { describe, expect, it } from 'vitest';
import { MemoryStore, RelayCache, createRelayCache } from '../../src/cache/index.js';
import { describeCacheBehaviour } from './cache-behaviour.js';
import { captureLog, zoneState } from './fixtures.js';

describeCacheBehaviour('memory', async (ttlMs) => {
  // A hand-turned clock: expiry is exact and instant.
  let now = 1_700_000_000_000;
  const clock = (): number => now;
  const store = new MemoryStore(clock);
  const { log, lines } = captureLog();
  const cache = new RelayCache(store, { ttlMs, log, now: clock });
  await cache.start();
  return {
    cache,
    lines,
    injectRaw: (key, text) => store.set([[key, text]], ttlMs),
    ttl: (key) => store.ttl(key),
    expire: async (key) => {
      const left = await store.ttl(key);
      if (left === null) throw new Error(`${key} is not stored`);
      now += left - 1;
      if ((await store.ttl(key)) === null) throw new Error(`${key} expired early`);
      now += 1;
    },
    close: () => cache.stop(),
  };
});

describe('MemoryStore', () => {
  it('expires an entry at its deadline and not a millisecond before', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    await store.set([['a', '1']], 100);
    now = 99;
    expect(await store.get(['a', 'b'])).toEqual(['1', null]);
    expect(await store.ttl('a')).toBe(1);
    now = 100;
    expect(await store.get(['a'])).toEqual([null]);
    expect(await store.ttl('a')).toBeNull();
  });

  it('drops expired entries on write, so keys never read again do not pile up', async () => {
    let now = 0;
    const store = new MemoryStore(() => now);
    await store.set([['a', '1'], ['b', '2']], 10);
    now = 10;
    await store.set([['c', '3']], 10);
    expect(store.size).toBe(1);
  });

  it('refuses a time to live that is not a whole number of ms from 1', async () => {
    const store = new MemoryStore();
    await expect(store.set([['a', '1']], 0)).rejects.toThrow(RangeError);
    expect(() => new RelayCache(store, { ttlMs: 0.5, log: captureLog().log })).toThrow(RangeError);
  });
});

describe('createRelayCache', () => {
  it('makes an in-process cache when REDIS_URL is unset, with CACHE_TTL in seconds', async () => {
    let now = 0;
    const cache = createRelayCache({ ttlSeconds: 10, log: captureLog().log, now: () => now });
    expect(cache.status()).toMatchObject({ backend: 'memory', state: 'healthy' });
    await cache.start();
    await cache.writeThrough({ zones: [zoneState('Z1')] });
    now = 9_999;
    expect(await cache.zone('Z1', () => null)).toEqual(zoneState('Z1'));
    now = 10_000;
    expect(await cache.zone('Z1', () => zoneState('Z1', { mode: 'OFF' }))).toEqual(zoneState('Z1', { mode: 'OFF' }));
    await cache.stop();
  });

  it('makes a Redis cache when REDIS_URL is set, degraded until started', () => {
    const cache = createRelayCache({ redisUrl: 'redis://127.0.0.1:6379', ttlSeconds: 10, log: captureLog().log });
    expect(cache.status()).toMatchObject({ backend: 'redis', state: 'degraded' });
  });
});
