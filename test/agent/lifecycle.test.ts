import { describe, it, expect, afterAll } from 'vitest';
import type { ZoneState } from '@boiler/shared';
import { AGENT_ENTRY, startAgent, getJson, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';

const agents: AgentUnderTest[] = [];
afterAll(async () => {
  for (const a of agents) {
    await a.stop();
    a.cleanup();
  }
});

async function inject(url: string, spec: unknown, method = 'POST'): Promise<number> {
  const res = await fetch(`${url}/api/sim/faults`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
    ...(method === 'POST' ? { body: JSON.stringify(spec) } : {}),
  });
  return res.status;
}

describe('agent lifecycle', () => {
  it('on SIGTERM puts outputs in their safe state, closes the database and exits 0 within 5 s', async () => {
    const a = await startAgent();
    agents.push(a);
    const t0 = performance.now();
    a.proc.proc.kill('SIGTERM');
    const exit = await a.proc.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(a.proc.lines.some((l) => l.msg === 'stopping: outputs to safe state')).toBe(true);
    expect(a.proc.stderr()).toBe('');
  });

  it('stops at start with one line per bad variable, naming each', async () => {
    const { startProcess } = await import('../support/processes.js');
    const p = startProcess(AGENT_ENTRY, { WS_PORT: 'eighty', BATCH_INTERVAL: '9', HARDWARE: 'raspberry', TIME_ZONE: 'Mars/Olympus' });
    const exit = await p.exited;
    expect(exit.code).toBe(2);
    const lines = p.stderr().trim().split('\n');
    for (const name of ['WS_PORT', 'BATCH_INTERVAL', 'HARDWARE', 'TIME_ZONE']) expect(lines.filter((l) => l.startsWith(`config: ${name}:`))).toHaveLength(1);
    expect(lines).toHaveLength(4);
  });

  it('takes simulator faults through its dev endpoint and shows a failed sensor as a zone fault', async () => {
    const a = await startAgent({ env: { SIM_SPEED: '30' } });
    agents.push(a);
    expect(await inject(a.url, { kind: 'sensor_missing', sensor: '28-000000000003' })).toBe(200);
    expect(await inject(a.url, { kind: 'sensor_missing', sensor: 'no-such-sensor' })).toBe(400);
    expect(await inject(a.url, { kind: 'melt_down' })).toBe(400);
    const fault = async () => (await getJson<ZoneState>(a.url, '/api/zones/Z3')).body;
    await expect.poll(async () => (await fault()).condition, { timeout: 10_000 }).toBe('sensor_fault');
    expect((await fault()).room_c).toBeNull();
    expect((await fault()).fault).toMatch(/missing/);
    expect(await inject(a.url, null, 'DELETE')).toBe(200);
    await expect.poll(async () => (await fault()).condition, { timeout: 10_000 }).toBe('normal');
  });
});
