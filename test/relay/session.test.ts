import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import WebSocket from 'ws';
import { startAgent, TEST_API_KEY, command, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';

// The web UI's sign-in: the key once for an HttpOnly cookie, which REST and the live socket
// take as they take the key, and which cannot carry a change from another site's page.

let agent: AgentUnderTest;
let relay: RelayUnderTest;
beforeAll(async () => {
  agent = await startAgent({ env: { SIM_SPEED: '60' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

async function signIn(key: string): Promise<Response> {
  return fetch(`${relay.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key }) });
}

function cookieOf(res: Response): string {
  const set = res.headers.get('set-cookie') ?? '';
  const m = /^boiler_session=([^;]+)/.exec(set);
  if (m === null) throw new Error(`no session cookie in ${set}`);
  return `boiler_session=${m[1] as string}`;
}

describe('relay sessions', () => {
  it('answers a wrong key with 401 and the right one with 204 and an HttpOnly, SameSite=Strict cookie for 12 hours', async () => {
    const wrong = await signIn('not-the-key-not-the-key');
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('set-cookie')).toBeNull();
    expect((await signIn('x'.repeat(5000))).status).toBe(400);

    const before = Date.now();
    const res = await signIn(TEST_API_KEY);
    expect(res.status).toBe(204);
    const set = res.headers.get('set-cookie') ?? '';
    expect(set).toMatch(/^boiler_session=[A-Za-z0-9_-]{43};/);
    expect(set).toMatch(/; HttpOnly/i);
    expect(set).toMatch(/; SameSite=Strict/i);
    expect(set).toMatch(/; Path=\//);
    expect(set).toMatch(/; Max-Age=43200/);
    // Plain HTTP on loopback: a Secure cookie would never be sent back.
    expect(set).not.toMatch(/; Secure/i);

    const info = await fetch(`${relay.url}/api/session`, { headers: { cookie: cookieOf(res) } });
    expect(info.status).toBe(200);
    const { expires_at } = (await info.json()) as { expires_at: number };
    expect(expires_at).toBeGreaterThanOrEqual(before + 12 * 3600_000);
    expect(expires_at).toBeLessThanOrEqual(Date.now() + 12 * 3600_000);
    expect((await fetch(`${relay.url}/api/session`)).status).toBe(401);
    expect((await fetch(`${relay.url}/api/session`, { headers: { cookie: 'boiler_session=forged' } })).status).toBe(401);
  });

  it('takes the cookie on REST as it takes the key; a forged one is 401', async () => {
    const cookie = cookieOf(await signIn(TEST_API_KEY));
    const zones = await fetch(`${relay.url}/api/zones`, { headers: { cookie } });
    expect(zones.status).toBe(200);
    expect(((await zones.json()) as { zones: unknown[] }).zones).toHaveLength(14);
    expect((await fetch(`${relay.url}/api/zones`, { headers: { cookie: 'boiler_session=forged' } })).status).toBe(401);
  });

  it("refuses a change carrying the cookie from another origin with 403 and a reason; the relay's own origin and no Origin pass", async () => {
    const cookie = cookieOf(await signIn(TEST_API_KEY));
    const post = (origin?: string) =>
      fetch(`${relay.url}/api/commands`, {
        method: 'POST',
        headers: { cookie, 'content-type': 'application/json', ...(origin === undefined ? {} : { origin }) },
        body: JSON.stringify(command({ type: 'zone_mode', zone: 'Z1', mode: 'AUTO' })),
      });
    const foreign = await post('https://evil.example');
    expect(foreign.status).toBe(403);
    const body = (await foreign.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('cross_origin');
    expect(body.error.message).toMatch(/evil\.example/);
    expect((await post(relay.url)).status).toBe(202);
    expect((await post()).status).toBe(202);
    // A read is not a change: the cookie answers it from anywhere (CORS keeps the answer from another site's script).
    expect((await fetch(`${relay.url}/api/zones`, { headers: { cookie, origin: 'https://evil.example' } })).status).toBe(200);
  });

  it('admits a live socket on the cookie without the key, but not one opened from another origin', async () => {
    const cookie = cookieOf(await signIn(TEST_API_KEY));
    const url = `${relay.url.replace(/^http/, 'ws')}/api/live`;
    const ws = new WebSocket(url, { headers: { cookie, origin: relay.url } });
    const first = await new Promise<{ type: string }>((resolve, reject) => {
      ws.once('message', (d: Buffer) => resolve(JSON.parse(d.toString()) as { type: string }));
      ws.once('error', reject);
    });
    expect(first.type).toBe('snapshot');
    ws.close();

    const foreign = new WebSocket(url, { headers: { cookie, origin: 'https://evil.example' } });
    await new Promise<void>((resolve, reject) => {
      foreign.once('open', () => resolve());
      foreign.once('error', reject);
    });
    // Not admitted: anything but the key as its first message closes it.
    foreign.send(JSON.stringify({ type: 'ping' }));
    const code = await new Promise<number>((resolve) => foreign.once('close', (c: number) => resolve(c)));
    expect(code).toBe(4401);
  });

  it('signs out: 204, the cookie cleared, and the session gone from the relay', async () => {
    const cookie = cookieOf(await signIn(TEST_API_KEY));
    const out = await fetch(`${relay.url}/api/session`, { method: 'DELETE', headers: { cookie } });
    expect(out.status).toBe(204);
    expect(out.headers.get('set-cookie')).toMatch(/^boiler_session=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/i);
    expect((await fetch(`${relay.url}/api/session`, { headers: { cookie } })).status).toBe(401);
    expect((await fetch(`${relay.url}/api/zones`, { headers: { cookie } })).status).toBe(401);
  });
});
