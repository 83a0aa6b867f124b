import { describe, it, expect, afterEach } from 'vitest';
import type { AddressInfo } from 'node:net';
import { createLogger, type HttpApp } from '@boiler/service';
import type { SystemState } from '@boiler/shared';
import { createApiServer } from '../../src/api/server.js';
import type { AgentFacade, CommandRefusalCode } from '../../src/facade.js';

const system: SystemState = { away: false, away_until: null, outdoor_c: -5, boiler_firing: false, hardware: 'pi', time_zone: 'UTC', alerts: [], updated_at: 1 };

function facade(extra: Partial<AgentFacade> = {}): AgentFacade {
  return {
    zones: () => [],
    system: () => system,
    events: () => [],
    history: () => [],
    zoneStats: () => {
      throw new Error('no stats in this fake');
    },
    schedules: () => [],
    presets: () => [],
    health: () => ({ status: 'ok', reasons: [], uptime: 1, db_size: 1, memory: { rss: 1, heap_used: 1 }, storage: { ok: true, pending: 0, dropped: { samples: 0, events: 0, invalid: 0 } } }),
    execute: () => ({ kind: 'refused', code: 'unavailable', message: 'test' }),
    now: () => 1,
    ...extra,
  };
}

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
});

async function listen(f: AgentFacade, apiKey?: string): Promise<string> {
  // The rate limiter's clock stands still: the bucket refills only when a test says so, never while a slow machine sends.
  app = createApiServer(f, { apiKey, rate: { perSecond: 5, burst: 5, now: () => 0 } }, createLogger({ name: 'test', level: 'silent' }));
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

describe('agent API server', () => {
  it('has no fault-injection endpoint without the simulator (HARDWARE=pi)', async () => {
    const url = await listen(facade(), 'k'.repeat(20));
    const res = await fetch(`${url}/api/sim/faults`, { method: 'POST', headers: { authorization: `Bearer ${'k'.repeat(20)}`, 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(404);
  });

  it('answers 429 with a reason once a client passes its rate', async () => {
    const url = await listen(facade());
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await fetch(`${url}/api/system`)).status);
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
    const body = (await (await fetch(`${url}/api/system`)).json()) as { error: { code: string } };
    expect(body.error.code).toBe('rate_limited');
  });

  it('refuses commands when no API key is configured, with a reason', async () => {
    const url = await listen(facade());
    const res = await fetch(`${url}/api/commands`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/no API_KEY/);
  });

  it('answers 415 for a body that is not JSON and 404 for unknown routes', async () => {
    const url = await listen(facade(), 'k'.repeat(20));
    const auth = { authorization: `Bearer ${'k'.repeat(20)}` };
    expect((await fetch(`${url}/api/commands`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: 'x' })).status).toBe(415);
    expect((await fetch(`${url}/api/nothing`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${url}/elsewhere`)).status).toBe(404);
  });

  it.each([
    ['unavailable', 503],
    ['id_conflict', 409],
    ['expired', 410],
    ['unknown_zone', 404],
    ['mode_not_auto', 422],
  ] as [CommandRefusalCode, number][])('maps the agent refusing a command with %s to HTTP %i, with the code and message', async (code, status) => {
    const url = await listen(facade({ execute: () => ({ kind: 'refused', code, message: `refused: ${code}` }) }), 'k'.repeat(20));
    const body = { id: '0b8f3b4e-7a40-4c59-9f0e-6f2d7f1c2a11', created_at: 1, expires_at: 9e12, body: { type: 'zone_mode', zone: 'Z1', mode: 'OFF' } };
    const res = await fetch(`${url}/api/commands`, { method: 'POST', headers: { authorization: `Bearer ${'k'.repeat(20)}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code, message: `refused: ${code}` });
  });
});
