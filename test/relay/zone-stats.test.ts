import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZoneStatsReply, type SiteDay } from '@boiler/shared';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { seedZoneRuns, type ExpectedDay } from '../support/seed-runs.js';

// GET /api/zones/:zone/stats on a real agent and a real relay: sixteen days of a zone's runs
// (with samples every 15 min) written into the agent's database before it starts (the agent has "been running" since early
// March), replicated to the relay, and asked of both. The days include 8 March, Denver's 23-hour day.

const TZ = 'America/Denver';
/** 20 March 2026, 00:00 MDT: where the simulated clock starts, the day after the seeded ones. */
const START = Date.UTC(2026, 2, 20, 6);

let agent: AgentUnderTest;
let relay: RelayUnderTest;
let days: SiteDay[];
let expected: ExpectedDay[];
let seededSeq: number;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-agent-'));
  const seeded = seedZoneRuns(join(dir, 'agent.db'), { zone: 'Z3', timeZone: TZ, before: START, days: 16, sampleEveryMs: 15 * 60_000 });
  days = seeded.days;
  expected = seeded.expected;
  seededSeq = seeded.lastSeq;
  agent = await startAgent({ dir, env: { SIM_SPEED: '60', SIM_START: '2026-03-20T00:00', TIME_ZONE: TZ, BATCH_INTERVAL: '1' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

/** Waits until the relay has applied every seeded event. */
async function replicated(): Promise<void> {
  await expect
    .poll(async () => ((await (await fetch(`${relay.url}/health`)).json()) as { last_seq: number }).last_seq, { timeout: 30_000, interval: 250 })
    .toBeGreaterThanOrEqual(seededSeq);
}

async function get(base: string, path: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  return { status: res.status, body: await res.json() };
}

describe('GET /api/zones/:zone/stats on the agent and the relay', () => {
  it('counts the seeded days as they were seeded, the 23-hour day included, and both answer alike', async () => {
    await replicated();
    expect(days.map((d) => d.date)).toContain('2026-03-08');
    const path = `/api/zones/Z3/stats?from=${days[0]!.start}&to=${days[days.length - 1]!.end}`;
    const a = await get(agent.url, path);
    const r = await get(relay.url, path);
    expect(a.status).toBe(200);
    expect(r.status).toBe(200);
    const reply = ZoneStatsReply.parse(a.body);
    expect(reply).toMatchObject({ zone: 'Z3', time_zone: TZ, short_cycle_s: 180, open_run: null, observed_until: days[days.length - 1]!.end });
    expect(reply.days.map((d) => ({ date: d.date, calls: d.calls, runs: d.runs, run_s: d.run_s, short_cycles: d.short_cycles }))).toEqual(expected);
    for (const d of reply.days) {
      expect(d.observed_s * 1000).toBe(d.end - d.start);
      expect(d.duty).toBeCloseTo(d.run_s / d.observed_s, 6);
    }
    expect(reply.days.find((d) => d.date === '2026-03-08')!.observed_s).toBe(23 * 3600);
    // A run over midnight is one run in the totals, though it counts on both its days.
    const carried = expected.filter((d) => d.runs > d.calls).length;
    expect(reply.totals.runs).toBe(expected.reduce((n, d) => n + d.runs, 0) - carried);
    expect(reply.totals.calls).toBe(expected.reduce((n, d) => n + d.calls, 0));
    expect(reply.totals.short_cycles).toBe(expected.reduce((n, d) => n + d.short_cycles, 0));
    expect(r.body).toEqual(a.body);
  });

  it('answers the last seven site days by default, up to each server’s own now', async () => {
    await replicated();
    for (const base of [agent.url, relay.url]) {
      const res = await get(base, '/api/zones/Z3/stats');
      expect(res.status).toBe(200);
      const reply = ZoneStatsReply.parse(res.body);
      expect(reply.days).toHaveLength(7);
      expect(reply.from).toBe(reply.days[0]!.start);
      expect(reply.observed_until).toBeGreaterThanOrEqual(START);
    }
  });

  it('refuses bad queries with a reason on both, never a 500', async () => {
    await replicated();
    const from = days[0]!.start;
    const cases: [string, number, string, RegExp][] = [
      [`/api/zones/Z3/stats?from=${from + 10}&to=${from}`, 400, 'invalid_query', /from must be before to/],
      [`/api/zones/Z3/stats?from=${from}&to=${from}`, 400, 'invalid_query', /from must be before to/],
      [`/api/zones/Z3/stats?from=0&to=${401 * 24 * 3600_000}`, 400, 'invalid_query', /longer than 400 days/],
      ['/api/zones/Z3/stats?from=2026-03-01', 400, 'invalid_query', /from must be an integer/],
      ['/api/zones/Z3/stats?to=abc', 400, 'invalid_query', /to must be an integer/],
      ['/api/zones/Z3/stats?from=-5', 400, 'invalid_query', /from must be an integer/],
      ['/api/zones/Z3/stats?to=8640000000000000', 400, 'invalid_query', /to must be an integer/],
      ['/api/zones/Z3/stats?from=1&from=2', 400, 'invalid_query', /given 2 times/],
      [`/api/zones/Z99/stats?from=${from}&to=${from + 1000}`, 404, 'unknown_zone', /no zone Z99/],
    ];
    for (const [path, status, code, message] of cases) {
      const a = await get(agent.url, path);
      const r = await get(relay.url, path);
      expect(a.status, path).toBe(status);
      expect(r.status, path).toBe(status);
      const error = (x: { body: unknown }) => {
        const e = (x.body as { error: { code: string; message: string } }).error;
        return { code: e.code, message: e.message };
      };
      expect(error(a).code, path).toBe(code);
      expect(error(a).message, path).toMatch(message);
      expect(error(r), path).toEqual(error(a));
    }
  });
});
