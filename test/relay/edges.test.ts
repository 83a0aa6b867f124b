import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { LiveClient } from '../support/live-client.js';
import { rawRequest, rawUpgrade } from '../support/raw-http.js';

// Item 7 of issue 8: the small edges of the relay's HTTP server (and the agent's), each against
// the real processes.

let agent: AgentUnderTest;
let relay: RelayUnderTest;
beforeAll(async () => {
  // SIM_SPEED 600: the simulated clock, which stamps the agent's events, gains ten minutes on the wall every second.
  agent = await startAgent({ env: { SIM_SPEED: '600', BATCH_INTERVAL: '1' } });
  // Debug: the relay logs its 4xx answers only at debug, and those lines are checked too.
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { LOG_LEVEL: 'debug' } });
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

const auth = { authorization: `Bearer ${TEST_API_KEY}` };

function upgrade(baseUrl: string, path: string): Promise<string> {
  return rawUpgrade(baseUrl, path, auth);
}

function raw(baseUrl: string, path: string, method = 'GET', headers: Record<string, string> = auth) {
  return rawRequest(baseUrl, path, method, headers);
}

function errorCode(body: string): string | undefined {
  return (JSON.parse(body) as { error?: { code?: string } }).error?.code;
}

/** Log lines at error or above, or with a stack: none may come from bad input. */
function loudLines(lines: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return lines.filter((l) => (typeof l.level === 'number' && l.level >= 50) || JSON.stringify(l).includes('URIError') || JSON.stringify(l).includes('"stack"'));
}

describe('relay edges (issue 8, item 7)', () => {
  it('refuses a websocket upgrade to any path but /api/live: 404 written and the socket closed, the relay still serving', async () => {
    for (const path of ['/api/zones', '/nope', '/health', '/ws', '/api/live/x', '/api/livex', '//', '/%zz']) {
      const answer = await upgrade(relay.url, path);
      expect(answer, path).toMatch(/^HTTP\/1\.1 404 /);
    }
    expect(relay.proc.proc.exitCode).toBeNull();
    // /api/live itself still upgrades.
    const live = await LiveClient.open(relay.url);
    live.close();
  });

  it("refuses an upgrade to any agent path but /ws the same way; a target like // no longer stops the agent", async () => {
    for (const path of ['//', '/nope', '/api/zones', '/ws/x', '/%zz']) {
      const answer = await rawUpgrade(agent.url, path);
      expect(answer, path).toMatch(/^HTTP\/1\.1 404 /);
    }
    expect(agent.proc.proc.exitCode).toBeNull();
    expect(agent.proc.lines.filter((l) => l.msg === 'uncaught exception')).toEqual([]);
    expect((await rawRequest(agent.url, '/health')).status).toBe(200);
    // The relay's link (on /ws) is still up.
    expect(((await (await fetch(`${relay.url}/health`)).json()) as { pi_connected: boolean }).pi_connected).toBe(true);
  });

  it('answers HEAD /health with health, not the UI page, on the relay and the agent', async () => {
    for (const base of [relay.url, agent.url]) {
      const head = await raw(base, '/health', 'HEAD', {});
      expect(head.status, base).toBe(200);
      expect(head.type, base).toMatch(/^application\/json/);
      expect(head.body).toBe('');
    }
    // The UI is still what / answers, HEAD or GET.
    expect((await raw(relay.url, '/', 'HEAD', {})).type).toMatch(/^text\/html/);
  });

  it('answers malformed percent-encoding with 400 and a reason, without a stack trace in the log', async () => {
    for (const base of [relay.url, agent.url]) {
      for (const path of ['/api/zones/%E0%A4%A', '/api/zones/%zz/history', '/api/%']) {
        const res = await raw(base, path);
        expect(res.status, `${base}${path}`).toBe(400);
        expect(errorCode(res.body)).toBe('malformed_path');
        expect(res.body).toMatch(/malformed percent-encoding/);
      }
    }
    // The UI's paths too (the relay serves them without a key).
    expect((await raw(relay.url, '/%E0%A4%A', 'GET', {})).status).toBe(400);
    await relay.proc.waitForLog((l) => l.code === 'malformed_path');
    await agent.proc.waitForLog((l) => l.code === 'malformed_path');
    expect(loudLines(relay.proc.lines)).toEqual([]);
    expect(loudLines(agent.proc.lines)).toEqual([]);
  });

  it('answers history?to=1 and other bad query shapes with 400, never 500', async () => {
    const bad = [
      '/api/zones/Z1/history?to=1',
      '/api/zones/Z1/history?to=0',
      '/api/zones/Z1/history?from=5&to=5',
      '/api/zones/Z1/history?to=abc',
      '/api/zones/Z1/history?to=1e12',
      '/api/zones/Z1/history?from=1&from=2',
      '/api/zones/Z1/history?points=0',
      '/api/zones/Z1/history?from=-1',
      '/api/zones/Z1/history?to=99999999999999999999',
      '/api/events?limit=0x10',
      '/api/events?before_seq=1.5',
    ];
    for (const base of [relay.url, agent.url]) {
      for (const path of bad) {
        const res = await raw(base, path);
        expect(res.status, `${base}${path}`).toBe(400);
        expect(errorCode(res.body)).toBe('invalid_query');
      }
      expect((await raw(base, '/api/zones/Z1/history?from=0&to=1')).status).toBe(200);
    }
    expect(loudLines(relay.proc.lines)).toEqual([]);
    expect(loudLines(agent.proc.lines)).toEqual([]);
  });

  it('logs the path of a request, never its query string (a key in a URL stays out of the log)', async () => {
    const secret = 'KEY-IN-THE-URL-0123456789';
    for (const base of [agent.url, relay.url]) {
      expect((await raw(base, `/api/zones?api_key=${secret}`, 'GET', {})).status).toBe(401);
      expect((await raw(base, `/api/zones/%zz?token=${secret}`)).status).toBe(400);
    }
    const agentLine = await agent.proc.waitForLog((l) => l.code === 'unauthorised');
    expect(agentLine.path).toBe('/api/zones');
    const relayLine = await relay.proc.waitForLog((l) => l.code === 'unauthorised');
    expect(relayLine.path).toBe('/api/zones');
    await agent.proc.waitForLog((l) => l.code === 'malformed_path' && l.path === '/api/zones/%zz');
    await relay.proc.waitForLog((l) => l.code === 'malformed_path' && l.path === '/api/zones/%zz');
    expect(JSON.stringify(agent.proc.lines)).not.toContain(secret);
    expect(agent.proc.stderr()).not.toContain(secret);
    expect(JSON.stringify(relay.proc.lines)).not.toContain(secret);
  });

  it("keeps replica_lag_s at or above 0 while the simulated agent's clock runs ahead of the relay's", async () => {
    const metric = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? 'NaN');
    // The agent's timestamps are ahead of the relay's clock: the case that made the lag negative.
    await expect
      .poll(async () => metric(await (await fetch(`${relay.url}/metrics`)).text(), 'boiler_relay_agent_clock_ahead_seconds'), { timeout: 20_000, interval: 250 })
      .toBeGreaterThan(1);
    const health = (await (await fetch(`${relay.url}/health`)).json()) as { replica_lag_s: number | null; last_seq: number };
    expect(health.last_seq).toBeGreaterThan(0);
    expect(health.replica_lag_s).not.toBeNull();
    expect(health.replica_lag_s).toBeGreaterThanOrEqual(0);
    const text = await (await fetch(`${relay.url}/metrics`)).text();
    expect(metric(text, 'boiler_relay_replica_lag_seconds')).toBeGreaterThanOrEqual(0);
    const percentiles = [...text.matchAll(/^boiler_relay_replica_lag_percentile_seconds\{[^}]*\} (\S+)$/gm)].map((m) => Number(m[1]));
    expect(percentiles.length).toBeGreaterThan(0);
    for (const p of percentiles) expect(p).toBeGreaterThanOrEqual(0);
    const view = (await (await fetch(`${relay.url}/api/link`, { headers: auth })).json()) as { lag: { lastMs: number; p50Ms: number; maxMs: number } };
    for (const v of [view.lag.lastMs, view.lag.p50Ms, view.lag.maxMs]) expect(v).toBeGreaterThanOrEqual(0);
  });
});
