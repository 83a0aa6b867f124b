import { afterEach, describe, expect, it } from 'vitest';
import type { CacheBackend, RelayCache } from '../../src/cache/index.js';
import { cacheKeys } from '../../src/cache/index.js';
import { countingLoader, eventEntry, systemState, zoneState } from './fixtures.js';

/** One cache under test, on one backend, with a way to reach behind it into its store. */
export interface CacheHarness {
  cache: RelayCache;
  /** What the cache logged, as parsed pino lines. */
  lines: Record<string, unknown>[];
  /** Stores raw text under a cache key (before the store's prefix), as a broken writer would. */
  injectRaw(key: string, text: string): Promise<void>;
  /** A key's remaining time to live in the store, null when absent. */
  ttl(key: string): Promise<number | null>;
  /** Resolves once the store itself no longer holds `key` because its time ran out. */
  expire(key: string): Promise<void>;
  close(): Promise<void>;
}

/** A long TTL for tests about anything but expiry, so a slow machine cannot expire what a test just wrote. */
const LONG_TTL_MS = 60_000;
const SHORT_TTL_MS = 1000;

/**
 * The behaviour every backend of the cache must show; run once per backend, so the memory
 * store and the Redis store are held to the same tests.
 */
export function describeCacheBehaviour(backend: CacheBackend, open: (ttlMs: number) => Promise<CacheHarness>): void {
  describe(`RelayCache on ${backend}`, () => {
    let harness: CacheHarness | undefined;
    afterEach(async () => {
      await harness?.close();
      harness = undefined;
    });
    const start = async (ttlMs = LONG_TTL_MS): Promise<CacheHarness> => {
      harness = await open(ttlMs);
      return harness;
    };

    it('reports its backend, healthy, and no hit rate before any read', async () => {
      const { cache } = await start();
      expect(cache.status()).toEqual({ backend, state: 'healthy', hit_rate: null, hits: 0, misses: 0, corrupt: 0 });
    });

    it('answers written-through zone and system states without the loader', async () => {
      const { cache } = await start();
      const z1 = zoneState('Z1', { output: true });
      const z2 = zoneState('Z2', { room_c: 12.25 });
      const system = systemState({ away: true });
      await cache.writeThrough({ zones: [z1, z2], system });
      const loader = countingLoader(null);
      expect(await cache.zone('Z1', loader.load)).toEqual(z1);
      expect(await cache.zone('Z2', loader.load)).toEqual(z2);
      expect(await cache.system(loader.load)).toEqual(system);
      expect(loader.calls()).toBe(0);
      expect(cache.status()).toMatchObject({ hits: 3, misses: 0, hit_rate: 1 });
    });

    it('is never staler than the last write-through', async () => {
      const { cache } = await start();
      await cache.writeThrough({ zones: [zoneState('Z1', { mode: 'AUTO' })], system: systemState({ outdoor_c: 1 }) });
      expect((await cache.zone('Z1', () => null))?.mode).toBe('AUTO');
      // Not awaited: the write must be visible to a read issued after it, not only after it settles.
      const written = cache.writeThrough({ zones: [zoneState('Z1', { mode: 'OFF' })], system: systemState({ outdoor_c: 2 }) });
      expect((await cache.zone('Z1', () => null))?.mode).toBe('OFF');
      expect((await cache.system(() => null))?.outdoor_c).toBe(2);
      await written;
    });

    it('loads a miss from the loader once, then answers it from the cache', async () => {
      const { cache } = await start();
      const z7 = zoneState('Z7');
      const loader = countingLoader(z7);
      expect(await cache.zone('Z7', loader.load)).toEqual(z7);
      expect(await cache.zone('Z7', loader.load)).toEqual(z7);
      expect(loader.calls()).toBe(1);
      const system = systemState();
      const systemLoader = countingLoader(system);
      expect(await cache.system(systemLoader.load)).toEqual(system);
      expect(await cache.system(systemLoader.load)).toEqual(system);
      expect(systemLoader.calls()).toBe(1);
      expect(cache.status()).toMatchObject({ hits: 2, misses: 2, hit_rate: 0.5 });
    });

    it('does not remember that a loader found nothing', async () => {
      const { cache } = await start();
      const loader = countingLoader(null);
      expect(await cache.zone('Z404', loader.load)).toBeNull();
      expect(await cache.zone('Z404', loader.load)).toBeNull();
      expect(await cache.system(loader.load)).toBeNull();
      expect(loader.calls()).toBe(3);
    });

    it('accepts async loaders', async () => {
      const { cache } = await start();
      const z = zoneState('Z3');
      expect(await cache.zone('Z3', () => Promise.resolve(z))).toEqual(z);
      expect(await cache.zone('Z3', () => Promise.reject(new Error('must not be called')))).toEqual(z);
    });

    it('hands out copies: changing a returned state does not change the cache', async () => {
      const { cache } = await start();
      await cache.writeThrough({ zones: [zoneState('Z1', { room_c: 20 })] });
      const first = await cache.zone('Z1', () => null);
      if (first === null) throw new Error('expected a zone');
      first.room_c = 99;
      expect((await cache.zone('Z1', () => null))?.room_c).toBe(20);
    });

    it('keeps a loaded value from overwriting a write-through that came while it loaded', async () => {
      const { cache } = await start();
      const old = zoneState('Z1', { mode: 'AUTO' });
      const newer = zoneState('Z1', { mode: 'ON' });
      // The loader read the replica before a batch was applied and written through.
      const seen = await cache.zone('Z1', async () => {
        await cache.writeThrough({ zones: [newer] });
        return old;
      });
      expect(seen).toEqual(old);
      const loader = countingLoader(old);
      expect(await cache.zone('Z1', loader.load)).toEqual(newer);
      expect(loader.calls()).toBe(0);

      const system = await cache.system(async () => {
        await cache.writeThrough({ system: systemState({ away: true }) });
        return systemState({ away: false });
      });
      expect(system?.away).toBe(false);
      expect((await cache.system(() => null))?.away).toBe(true);
    });

    it('answers all zones from the cache after one load, kept whole by write-through', async () => {
      const { cache } = await start();
      const all = [zoneState('Z1'), zoneState('Z2')];
      const loader = countingLoader(all);
      expect(await cache.zones(loader.load)).toEqual(all);
      expect(loader.calls()).toBe(1);
      expect(await cache.zones(loader.load)).toEqual(all);
      expect(loader.calls()).toBe(1);
      const z2 = zoneState('Z2', { output: true });
      const z3 = zoneState('Z3');
      await cache.writeThrough({ zones: [z3, z2] });
      expect(await cache.zones(loader.load)).toEqual([zoneState('Z1'), z2, z3]);
      expect(loader.calls()).toBe(1);
    });

    it('loads all zones again when one of them is gone from the store', async () => {
      const { cache, injectRaw } = await start();
      const all = [zoneState('Z1'), zoneState('Z2')];
      const loader = countingLoader(all);
      await cache.zones(loader.load);
      await injectRaw(cacheKeys.zone('Z2'), 'garbage');
      expect(await cache.zones(loader.load)).toEqual(all);
      expect(loader.calls()).toBe(2);
    });

    it('does not take a zone written through before the first load for the whole list', async () => {
      const { cache } = await start();
      await cache.writeThrough({ zones: [zoneState('Z2')] });
      const all = [zoneState('Z1'), zoneState('Z2')];
      expect(await cache.zones(() => all)).toEqual(all);
    });

    it('sets the time to live on what it writes and misses once it has expired', async () => {
      const { cache, ttl, expire } = await start(SHORT_TTL_MS);
      await cache.writeThrough({ zones: [zoneState('Z1')], system: systemState() });
      const key = cacheKeys.zone('Z1');
      const left = await ttl(key);
      expect(left).not.toBeNull();
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(SHORT_TTL_MS);
      const systemLeft = await ttl(cacheKeys.system);
      expect(systemLeft).toBeGreaterThan(0);
      expect(systemLeft).toBeLessThanOrEqual(SHORT_TTL_MS);
      await expire(key);
      const fresh = zoneState('Z1', { mode: 'OFF' });
      const loader = countingLoader(fresh);
      expect(await cache.zone('Z1', loader.load)).toEqual(fresh);
      expect(loader.calls()).toBe(1);
      // The loaded value is stored with the same time to live.
      const refilled = await ttl(key);
      expect(refilled).toBeGreaterThan(0);
      expect(refilled).toBeLessThanOrEqual(SHORT_TTL_MS);
    });

    it('treats a stored value that is not JSON as a miss, logs it, and replaces it', async () => {
      const { cache, injectRaw, lines } = await start();
      await injectRaw(cacheKeys.zone('Z1'), '{"zone": "Z1", oops');
      const good = zoneState('Z1');
      const loader = countingLoader(good);
      expect(await cache.zone('Z1', loader.load)).toEqual(good);
      expect(loader.calls()).toBe(1);
      const warning = lines.find((l) => l.msg === 'cached value unreadable; treated as a miss');
      expect(warning).toMatchObject({ key: 'zone:Z1', backend, level: 40 });
      expect(String(warning?.reason)).toMatch(/not JSON/);
      expect(cache.status()).toMatchObject({ corrupt: 1, misses: 1, hits: 0 });
      expect(await cache.zone('Z1', loader.load)).toEqual(good);
      expect(loader.calls()).toBe(1);
    });

    it('treats JSON its schema refuses, or a zone under another zone\'s key, as a miss', async () => {
      const { cache, injectRaw, lines } = await start();
      await injectRaw(cacheKeys.zone('Z1'), JSON.stringify({ ...zoneState('Z1'), mode: 'TURBO' }));
      await injectRaw(cacheKeys.zone('Z2'), JSON.stringify(zoneState('Z3')));
      await injectRaw(cacheKeys.system, JSON.stringify({ ...systemState(), alerts: 'none' }));
      expect(await cache.zone('Z1', () => zoneState('Z1'))).toEqual(zoneState('Z1'));
      expect(await cache.zone('Z2', () => zoneState('Z2'))).toEqual(zoneState('Z2'));
      expect(await cache.system(() => systemState())).toEqual(systemState());
      expect(cache.status()).toMatchObject({ corrupt: 3, misses: 3, hits: 0 });
      const keys = lines.filter((l) => l.msg === 'cached value unreadable; treated as a miss').map((l) => l.key);
      expect(keys).toEqual(['zone:Z1', 'zone:Z2', 'system']);
    });

    it('answers recent events from its ring, newest first, and asks the loader for what it may not hold', async () => {
      const { cache } = await start();
      const events = [1, 2, 3, 4, 5, 6].map((seq) => eventEntry(seq, seq % 2 === 0 ? 'Z2' : 'Z1', seq === 5 ? 'ON' : 'SAMPLE'));
      await cache.writeThrough({ events });
      const loader = countingLoader([eventEntry(99)]);
      expect((await cache.events({ zone: 'Z1', limit: 2 }, loader.load)).map((e) => e.seq)).toEqual([5, 3]);
      expect((await cache.events({ event: 'ON', limit: 1 }, loader.load)).map((e) => e.seq)).toEqual([5]);
      expect(loader.calls()).toBe(0);
      // Only three Z1 events are held; older ones may exist in the replica.
      expect((await cache.events({ zone: 'Z1', limit: 4 }, loader.load)).map((e) => e.seq)).toEqual([99]);
      expect(loader.calls()).toBe(1);
      expect(cache.status()).toMatchObject({ hits: 2, misses: 1 });
    });

    it('measures the hit rate over every read since start', async () => {
      const { cache } = await start();
      await cache.writeThrough({ zones: [zoneState('Z1')] });
      await cache.zone('Z1', () => null);
      await cache.zone('Z1', () => null);
      await cache.zone('Z1', () => null);
      await cache.zone('Z2', () => zoneState('Z2'));
      expect(cache.status()).toMatchObject({ hits: 3, misses: 1, hit_rate: 0.75 });
      await cache.zone('Z2', () => null);
      expect(cache.status().hit_rate).toBeCloseTo(0.8, 10);
    });

    it('counts the hit rate from start', async () => {
      const { cache } = await start();
      await cache.zone('Z1', () => null);
      expect(cache.status().misses).toBe(1);
      await cache.stop();
      await cache.start();
      expect(cache.status()).toMatchObject({ hits: 0, misses: 0, hit_rate: null });
    });
  });
}
