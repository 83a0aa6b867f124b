import { describe, it, expect, afterAll } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
let redis: ChildProcess | undefined;
afterAll(async () => {
  redis?.kill('SIGKILL');
  await stopAndCleanUp(relay, agent);
});

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** A Redis of the test's own, on its own port, that it can kill and bring back. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Ready to accept connections')) resolve();
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited ${code}: ${out}`)));
  });
  return child;
}

const health = async () => (await (await fetch(`${relay!.url}/health`)).json()) as { cache: string; cache_hit_rate: number | null; pi_connected: boolean };
const zones = async () => {
  const res = await fetch(`${relay!.url}/api/zones`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  return { status: res.status, count: ((await res.json()) as { zones: unknown[] }).zones.length };
};

describe('Redis made unreachable and back', () => {
  it('the API keeps answering; /health shows the cache degraded, then healthy', async () => {
    const port = await freePort();
    redis = await startRedis(port);
    agent = await startAgent({ env: { SIM_SPEED: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { REDIS_URL: `redis://127.0.0.1:${port}`, CACHE_TTL: '10' } });
    await expect.poll(async () => (await health()).pi_connected, { timeout: 10_000 }).toBe(true);
    await expect.poll(async () => (await zones()).count, { timeout: 10_000 }).toBe(14);
    expect((await health()).cache).toBe('healthy');
    expect((await zones()).count).toBe(14);
    expect((await health()).cache_hit_rate).toBeGreaterThan(0);

    redis.kill('SIGKILL');
    await new Promise((r) => redis!.once('exit', r));
    // Answers go on from memory and the replica while Redis is gone.
    for (let i = 0; i < 5; i++) expect(await zones()).toEqual({ status: 200, count: 14 });
    await expect.poll(async () => (await health()).cache, { timeout: 15_000 }).toBe('degraded');
    expect(await zones()).toEqual({ status: 200, count: 14 });

    redis = await startRedis(port);
    await expect.poll(async () => (await health()).cache, { timeout: 30_000, interval: 250 }).toBe('healthy');
    expect(await zones()).toEqual({ status: 200, count: 14 });
  });
});
