import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { connect, type Socket } from 'node:net';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';

let agent: AgentUnderTest;
let relay: RelayUnderTest;
beforeAll(async () => {
  agent = await startAgent({ env: { SIM_SPEED: '1' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

describe('the relay API under abuse', () => {
  it('401 on a missing or wrong key, on the API and on the live socket', async () => {
    expect((await fetch(`${relay.url}/api/zones`)).status).toBe(401);
    const wrong = await fetch(`${relay.url}/api/zones`, { headers: { authorization: 'Bearer not-the-key-not-the-key' } });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe('unauthorised');
    const { default: WebSocket } = await import('ws');
    const ws = new WebSocket(`${relay.url.replace('http', 'ws')}/api/live`);
    const code = await new Promise<number>((resolve) => {
      ws.on('open', () => ws.send(JSON.stringify({ type: 'auth', key: 'wrong-wrong-wrong-wrong' })));
      ws.on('close', (c) => resolve(c));
      ws.on('error', () => undefined);
    });
    expect(code).toBe(4401);
  });

  it('413 on a large body, with a reason', async () => {
    const res = await fetch(`${relay.url}/api/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
      body: JSON.stringify({ body: { type: 'home' }, pad: 'x'.repeat(100_000) }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('body_too_large');
  });

  it('CORS stays closed: no allow-origin header, preflight refused', async () => {
    const res = await fetch(`${relay.url}/api/zones`, { headers: { origin: 'https://evil.example', authorization: `Bearer ${TEST_API_KEY}` } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect((await fetch(`${relay.url}/api/zones`, { method: 'OPTIONS' })).status).toBe(403);
  });

  it('300 slow connections (slowloris) do not stop a normal client', async () => {
    const port = Number(new URL(relay.url).port);
    const sockets: Socket[] = [];
    await Promise.all(
      Array.from({ length: 300 }, () => {
        return new Promise<void>((resolve) => {
          const s = connect(port, '127.0.0.1', () => {
            s.write('GET /api/zones HTTP/1.1\r\nHost: x\r\n'); // and then never finish the headers
            resolve();
          });
          s.on('error', () => resolve());
          sockets.push(s);
        });
      }),
    );
    try {
      const res = await fetch(`${relay.url}/api/zones`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { zones: unknown[] }).zones).toHaveLength(14);
    } finally {
      for (const s of sockets) s.destroy();
    }
  });

  it('429 under a flood, then the client recovers', async () => {
    const statuses = await Promise.all(Array.from({ length: 300 }, () => fetch(`${relay.url}/api/system`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } }).then((r) => r.status)));
    expect(statuses).toContain(200);
    expect(statuses).toContain(429);
    await expect.poll(async () => (await fetch(`${relay.url}/api/system`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } })).status, { timeout: 10_000, interval: 500 }).toBe(200);
  });
});
