import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisStore, RelayCache } from '../../src/cache/index.js';
import { RedisServerProcess, captureLog, countingLoader, freePort, waitForState, zoneState } from './fixtures.js';

// A redis-server of the test's own, killed, stopped and restarted under a running cache.

/** A read must never wait on a dead Redis much longer than the store's 100 ms command timeout. */
// Loose on purpose: it catches a read that waits for a dead Redis (seconds), not a slow machine.
const READ_BOUND_MS = 1500;
const DOWN_MESSAGE = 'redis unavailable; the cache answers from memory and the replica';

describe('RelayCache when Redis goes away', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  async function startServer(port?: number): Promise<RedisServerProcess> {
    const server = new RedisServerProcess(port ?? (await freePort()));
    await server.start();
    cleanups.push(() => server.stop());
    return server;
  }

  async function rawClient(url: string): Promise<Redis> {
    const raw = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    // This client outlives the server it looks into; its reconnection errors are expected.
    raw.on('error', () => {});
    await raw.connect();
    cleanups.push(async () => void raw.disconnect());
    return raw;
  }

  async function startCache(url: string, prefix: string): Promise<{ cache: RelayCache; lines: Record<string, unknown>[] }> {
    const { log, lines } = captureLog();
    // The store's own timeouts (100 ms per command), which these tests hold to their bound.
    const cache = new RelayCache(new RedisStore({ url, log, keyPrefix: prefix }), { ttlMs: 60_000, log });
    cleanups.push(() => cache.stop());
    await cache.start();
    return { cache, lines };
  }

  /** Runs `read` and returns what it answered and how long it took. */
  async function timed<T>(read: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const started = performance.now();
    const value = await read();
    return { value, ms: performance.now() - started };
  }

  it('keeps answering when Redis is killed, reports degraded, and uses Redis again once it is back', async () => {
    const server = await startServer();
    const prefix = `relay:${randomUUID()}:`;
    const { cache, lines } = await startCache(server.url, prefix);
    await waitForState(cache, 'healthy');
    await cache.writeThrough({ zones: [zoneState('Z1', { mode: 'ON' })] });
    expect(await (await rawClient(server.url)).exists(`${prefix}zone:Z1`)).toBe(1);

    await server.signal('SIGKILL');
    // Written through before the kill: answered from the in-process mirror, not the loader.
    const mirrored = await timed(() => cache.zone('Z1', () => zoneState('Z1', { mode: 'OFF' })));
    expect(mirrored.value?.mode).toBe('ON');
    expect(mirrored.ms).toBeLessThan(READ_BOUND_MS);
    const loader = countingLoader(zoneState('Z2'));
    const loaded = await timed(() => cache.zone('Z2', loader.load));
    expect(loaded.value).toEqual(zoneState('Z2'));
    expect(loader.calls()).toBe(1);
    expect(loaded.ms).toBeLessThan(READ_BOUND_MS);

    await waitForState(cache, 'degraded');
    expect(cache.status()).toMatchObject({ backend: 'redis', state: 'degraded' });
    // Written through while Redis is down: still never staler than the replica.
    await cache.writeThrough({ zones: [zoneState('Z1', { mode: 'THERMOSTAT' })] });
    const whileDown = await timed(() => cache.zone('Z1', () => null));
    expect(whileDown.value?.mode).toBe('THERMOSTAT');
    expect(whileDown.ms).toBeLessThan(READ_BOUND_MS);

    const healthy = waitForState(cache, 'healthy');
    await startServer(server.port);
    await healthy;
    expect(cache.status().state).toBe('healthy');
    await cache.writeThrough({ zones: [zoneState('Z1', { mode: 'AUTO' })] });
    const raw = await rawClient(server.url);
    expect(JSON.parse((await raw.get(`${prefix}zone:Z1`)) ?? 'null')).toEqual(zoneState('Z1', { mode: 'AUTO' }));
    expect((await cache.zone('Z1', () => null))?.mode).toBe('AUTO');
    // One warning for the outage, however many reconnection attempts it took.
    expect(lines.filter((l) => l.msg === DOWN_MESSAGE)).toHaveLength(1);
    expect(lines.some((l) => l.msg === 'redis available; the cache uses it again')).toBe(true);
  });

  it('gives up on a Redis that stops answering within the command timeout, and empties it before trusting it again', async () => {
    const server = await startServer();
    const prefix = `relay:${randomUUID()}:`;
    const { cache } = await startCache(server.url, prefix);
    await waitForState(cache, 'healthy');
    await cache.writeThrough({ zones: [zoneState('Z1', { mode: 'ON' })] });
    const raw = await rawClient(server.url);
    expect(await raw.exists(`${prefix}zone:Z1`)).toBe(1);

    await server.signal('SIGSTOP');
    const stalled = await timed(() => cache.zone('Z1', () => null));
    expect(stalled.value?.mode).toBe('ON');
    expect(stalled.ms).toBeLessThan(READ_BOUND_MS);
    expect(cache.status().state).toBe('degraded');
    // This write never reaches Redis, so what Redis still holds of Z1 is now stale.
    await cache.writeThrough({ zones: [zoneState('Z1', { mode: 'OFF' })] });
    const bypassed = await timed(() => cache.zone('Z1', () => null));
    expect(bypassed.value?.mode).toBe('OFF');
    expect(bypassed.ms).toBeLessThan(READ_BOUND_MS);

    const healthy = waitForState(cache, 'healthy');
    await server.signal('SIGCONT');
    await healthy;
    expect(await raw.exists(`${prefix}zone:Z1`)).toBe(0);
    const loader = countingLoader(zoneState('Z1', { mode: 'OFF' }));
    expect((await cache.zone('Z1', loader.load))?.mode).toBe('OFF');
    expect(loader.calls()).toBe(1);
  });

  it('starts degraded without Redis, answers from the loader and memory, and turns healthy when Redis appears', async () => {
    const port = await freePort();
    const prefix = `relay:${randomUUID()}:`;
    const url = `redis://127.0.0.1:${port}`;
    const started = performance.now();
    const { cache } = await startCache(url, prefix);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(cache.status().state).toBe('degraded');
    const loader = countingLoader(zoneState('Z1'));
    expect(await cache.zone('Z1', loader.load)).toEqual(zoneState('Z1'));
    expect(await cache.zone('Z1', loader.load)).toEqual(zoneState('Z1'));
    expect(loader.calls()).toBe(1);
    expect(cache.status()).toMatchObject({ hits: 1, misses: 1 });

    const healthy = waitForState(cache, 'healthy');
    await startServer(port);
    await healthy;
    await cache.writeThrough({ zones: [zoneState('Z2')] });
    expect(await (await rawClient(url)).exists(`${prefix}zone:Z2`)).toBe(1);
  });

  it('stops promptly while Redis is down and reconnecting', async () => {
    const server = await startServer();
    const { cache } = await startCache(server.url, `relay:${randomUUID()}:`);
    await server.signal('SIGKILL');
    await waitForState(cache, 'degraded');
    const started = performance.now();
    await cache.stop();
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
