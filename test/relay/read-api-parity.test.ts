import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';

// DESIGN.md: the relay serves the same read shapes as the agent. Both parse their queries with
// the one schema in shared/; this runs the same requests against a real agent and a real relay
// and compares what comes back: shapes always, values where the relay has replicated them.

let agent: AgentUnderTest;
let relay: RelayUnderTest;
beforeAll(async () => {
  agent = await startAgent({ env: { SIM_SPEED: '600', BATCH_INTERVAL: '1' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

interface Answer {
  status: number;
  body: unknown;
}

async function get(base: string, path: string): Promise<Answer> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  return { status: res.status, body: await res.json() };
}

async function both(path: string): Promise<{ agent: Answer; relay: Answer }> {
  return { agent: await get(agent.url, path), relay: await get(relay.url, path) };
}

/** A value's shape: object keys with their shapes, an array's element shapes merged, typeof for the rest. */
function shape(value: unknown): unknown {
  if (value === null) return 'null';
  if (Array.isArray(value)) {
    const shapes = [...new Set(value.map((v) => JSON.stringify(shape(v))))].sort();
    return { array: shapes.map((s) => JSON.parse(s) as unknown) };
  }
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, shape((value as Record<string, unknown>)[k])]),
    );
  }
  return typeof value;
}

/**
 * A stats answer's shape, its open_run taken as one shape whichever of its two forms it has: each
 * end answers as of its own now, and the relay's replica trails the agent by a few milliseconds, so
 * a run that starts or ends between the two answers is open at one end and not yet (or no longer)
 * at the other (seen in CI: the relay's {since} against the agent's null).
 */
function statsShape(body: unknown): unknown {
  const { open_run, ...rest } = body as { open_run: unknown };
  expect(open_run === null || JSON.stringify(shape(open_run)) === JSON.stringify({ since: 'number' }), JSON.stringify(open_run)).toBe(true);
  return { ...(shape(rest) as Record<string, unknown>), open_run: 'null, or {since: number}' };
}

interface Event {
  seq: number;
  ts: number;
  zone: string | null;
  event: string;
}

/** The highest seq the relay has applied, once it has some of each kind the filters below use. */
async function replicatedSeq(): Promise<number> {
  let seq = 0;
  await expect
    .poll(
      async () => {
        seq = ((await (await fetch(`${relay.url}/health`)).json()) as { last_seq: number }).last_seq;
        const events = (await get(relay.url, `/api/events?before_seq=${seq + 1}&limit=2000`)).body as { events: Event[] };
        return new Set(events.events.map((e) => e.event)).has('SAMPLE') && events.events.length >= 20;
      },
      { timeout: 30_000, interval: 250 },
    )
    .toBe(true);
  return seq;
}

describe('the agent and the relay answer the same read API', () => {
  it('answers events with each filter alike, value for value over what the relay has replicated', async () => {
    const seq = await replicatedSeq();
    const upTo = `before_seq=${seq + 1}`;
    const all = await both(`/api/events?${upTo}&limit=2000`);
    expect(all.agent.status).toBe(200);
    expect(all.relay.status).toBe(200);
    expect(all.relay.body).toEqual(all.agent.body);
    const events = (all.agent.body as { events: Event[] }).events;
    const zoned = events.find((e) => e.zone !== null);
    expect(zoned).toBeDefined();
    // A window that holds some events and leaves some out, on both sides: the filter the relay used to drop.
    const times = [...new Set(events.map((e) => e.ts))].sort((a, b) => a - b);
    const from = times[Math.floor(times.length / 4)] as number;
    const to = times[Math.floor((times.length * 3) / 4)] as number;
    const filters = [
      `zone=${zoned!.zone!}`,
      'event=SAMPLE',
      'event=ON',
      `from=${from}`,
      `to=${to}`,
      `from=${from}&to=${to}`,
      `before_seq=${Math.max(1, seq - 5)}`,
      'limit=3',
      `zone=${zoned!.zone!}&event=SAMPLE&from=${from}&limit=5`,
    ];
    for (const filter of filters) {
      const path = filter.includes('before_seq') ? `/api/events?${filter}` : `/api/events?${upTo}&${filter}`;
      const answer = await both(path);
      expect(answer.agent.status, path).toBe(200);
      expect(answer.relay.body, path).toEqual(answer.agent.body);
    }
    const windowed = ((await get(relay.url, `/api/events?${upTo}&from=${from}&to=${to}&limit=2000`)).body as { events: Event[] }).events;
    expect(windowed.length).toBeGreaterThan(0);
    expect(windowed.length).toBeLessThan(events.length);
    for (const e of windowed) {
      expect(e.ts).toBeGreaterThanOrEqual(from);
      expect(e.ts).toBeLessThan(to);
    }
  });

  it('answers a zone history over a replicated window alike', async () => {
    const seq = await replicatedSeq();
    const events = ((await get(relay.url, `/api/events?before_seq=${seq + 1}&event=SAMPLE&zone=Z1&limit=2000`)).body as { events: Event[] }).events;
    const times = events.map((e) => e.ts).sort((a, b) => a - b);
    expect(times.length).toBeGreaterThan(1);
    const from = times[0] as number;
    const to = times[times.length - 1] as number;
    const path = `/api/zones/Z1/history?from=${from}&to=${to}&points=50`;
    const answer = await both(path);
    expect(answer.agent.status).toBe(200);
    expect(answer.relay.status).toBe(200);
    expect((answer.agent.body as { points: unknown[] }).points.length).toBeGreaterThan(0);
    expect(answer.relay.body).toEqual(answer.agent.body);
    // Without a window each ends at its own now (the simulated agent's clock runs ahead of the
    // relay's), so the points differ; the envelope and its 24-hour default do not.
    const defaults = await both('/api/zones/Z1/history?points=10');
    const envelope = (a: Answer) => {
      const { points, from, to, ...rest } = a.body as { points: unknown; from: number; to: number };
      return { ...rest, span: to - from, points: Array.isArray(points) };
    };
    expect(envelope(defaults.relay)).toEqual(envelope(defaults.agent));
    expect(envelope(defaults.agent)).toEqual({ zone: 'Z1', span: 24 * 3600_000, points: true });
  });

  it('answers a zone’s per-day stats over a replicated window alike, and in the same shape by default', async () => {
    // A zone that has switched, over a window from the log's start to an event both hold, asked until
    // the window holds a run: the seq both hold, the switch and the window are read again each round
    // (a zone may first switch after the first read, and a switch at the window's very end may not be
    // observed yet by the agent's clock).
    await replicatedSeq();
    let answer: Awaited<ReturnType<typeof both>> | undefined;
    let zone = '';
    await expect
      .poll(
        async () => {
          const seq = ((await (await fetch(`${relay.url}/health`)).json()) as { last_seq: number }).last_seq;
          const ons = ((await get(relay.url, `/api/events?before_seq=${seq + 1}&event=ON&limit=2000`)).body as { events: Event[] }).events;
          // The boiler's and the pump's switches have no zone.
          const switches = ons.filter((e) => e.zone !== null);
          if (switches.length === 0) return 0;
          zone = switches[0]!.zone!;
          const all = ((await get(relay.url, `/api/events?before_seq=${seq + 1}&limit=2000`)).body as { events: Event[] }).events;
          const times = all.map((e) => e.ts).sort((a, b) => a - b);
          // The page holds the newest 2,000 events only: the window reaches back past the chosen zone's switch too.
          const from = Math.min(times[0]!, switches[0]!.ts) - 3 * 3600_000;
          const to = times[times.length - 1]!;
          const path = `/api/zones/${zone}/stats?from=${from}&to=${to}`;
          answer = await both(path);
          expect(answer.agent.status, path).toBe(200);
          expect(answer.relay.status, path).toBe(200);
          return (answer.agent.body as { totals: { runs: number } }).totals.runs;
        },
        { timeout: 60_000, interval: 1000 },
      )
      .toBeGreaterThan(0);
    if (answer === undefined) throw new Error('no stats answer');
    const totals = (answer.agent.body as { totals: { runs: number; observed_s: number } }).totals;
    expect(totals.runs).toBeGreaterThan(0);
    expect(totals.observed_s).toBeGreaterThan(0);
    expect(answer.relay.body).toEqual(answer.agent.body);
    // Without a window each counts up to its own now, so the values may differ; the shape does not.
    const defaults = await both(`/api/zones/${zone}/stats`);
    expect(defaults.agent.status).toBe(200);
    expect(defaults.relay.status).toBe(200);
    expect(statsShape(defaults.relay.body)).toEqual(statsShape(defaults.agent.body));
  });

  it('answers zones, one zone, system, schedules and presets in the same shapes, and settings alike', async () => {
    await replicatedSeq();
    for (const path of ['/api/zones', '/api/zones/Z1', '/api/system']) {
      const answer = await both(path);
      expect(answer.agent.status, path).toBe(200);
      expect(answer.relay.status, path).toBe(200);
      expect(shape(answer.relay.body), path).toEqual(shape(answer.agent.body));
    }
    const zones = await both('/api/zones');
    // The same zones; the order differs (the relay's replica lists them by name), see issue 10's report.
    const names = (a: Answer) => (a.body as { zones: { zone: string }[] }).zones.map((z) => z.zone).sort();
    expect(names(zones.relay)).toEqual(names(zones.agent));
    expect(names(zones.agent)).toHaveLength(14);
    for (const path of ['/api/schedules', '/api/schedules/default', '/api/presets']) {
      const answer = await both(path);
      expect(answer.agent.status, path).toBe(200);
      expect(answer.relay.body, path).toEqual(answer.agent.body);
    }
  });

  it('answers /health on both with a status of ok or degraded and its own fields', async () => {
    const agentHealth = (await (await fetch(`${agent.url}/health`)).json()) as Record<string, unknown>;
    const relayHealth = (await (await fetch(`${relay.url}/health`)).json()) as Record<string, unknown>;
    // Health is each part's own (the agent's storage and memory, the relay's link and cache); both carry a status.
    expect(['ok', 'degraded']).toContain(agentHealth.status);
    expect(['ok', 'degraded']).toContain(relayHealth.status);
    expect(Object.keys(agentHealth)).toEqual(expect.arrayContaining(['status', 'reasons', 'uptime', 'db_size', 'memory', 'storage']));
    expect(Object.keys(relayHealth)).toEqual(expect.arrayContaining(['status', 'pi_connected', 'replica_lag_s', 'last_seq']));
  });

  it('refuses the same bad queries with the same status, code and reason', async () => {
    const bad = [
      '/api/events?limit=0',
      '/api/events?limit=2001',
      '/api/events?limit=0x10',
      '/api/events?event=BOIL',
      '/api/events?from=-1',
      '/api/events?to=1e12',
      '/api/events?from=1&from=2',
      '/api/events?before_seq=0',
      '/api/events?before_seq=1.5',
      '/api/events?limit=0&event=BOIL',
      '/api/zones/Z1/history?to=1',
      '/api/zones/Z1/history?from=5&to=5',
      '/api/zones/Z1/history?points=2001',
      '/api/zones/Z1/history?to=abc',
      '/api/zones/Z1/stats?from=5&to=5',
      '/api/zones/Z1/stats?from=9&to=5',
      '/api/zones/Z1/stats?to=abc',
      '/api/zones/Z1/stats?from=2026-01-01',
      `/api/zones/Z1/stats?from=0&to=${401 * 24 * 3600_000}`,
    ];
    for (const path of bad) {
      const answer = await both(path);
      expect(answer.agent.status, path).toBe(400);
      expect(answer.relay.status, path).toBe(400);
      const reason = (a: Answer) => {
        const e = (a.body as { error: { code: string; message: string } }).error;
        return { code: e.code, message: e.message };
      };
      expect(reason(answer.agent).code, path).toBe('invalid_query');
      expect(reason(answer.relay), path).toEqual(reason(answer.agent));
    }
    // Each reason names the parameter.
    const limit = await get(agent.url, '/api/events?limit=0');
    expect((limit.body as { error: { message: string } }).error.message).toMatch(/limit must be an integer from 1 to 2000/);
  });
});
