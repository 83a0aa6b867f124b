import { describe, it, expect, afterEach } from 'vitest';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { ZoneState } from '@boiler/shared';
import { startAgent, getJson, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { executions } from '../support/compare.js';
import { LiveClient, postRelayCommand } from '../support/live-client.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function agentUp(env: Record<string, string> = {}, dir?: string): Promise<AgentUnderTest> {
  const a = await startAgent({ env: { SIM_SPEED: '1', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1', ...env }, ...(dir === undefined ? {} : { dir }) });
  cleanups.push(() => a.stop());
  return a;
}

async function relayUp(agentPort: number, env: Record<string, string> = {}, dir?: string): Promise<RelayUnderTest> {
  const r = await startRelay(`ws://127.0.0.1:${agentPort}/ws`, { env, ...(dir === undefined ? {} : { dir }) });
  cleanups.push(() => r.stop());
  return r;
}

function commandOrder(agentDb: string): string[] {
  const db = new Database(agentDb, { readonly: true });
  try {
    return (db.prepare("SELECT detail FROM events WHERE event = 'COMMAND' ORDER BY seq").all() as { detail: string }[]).map((r) => /\[([0-9a-f-]{36})\]/.exec(r.detail)?.[1] ?? '');
  } finally {
    db.close();
  }
}

describe('commands through the relay', () => {
  it('POST, then the live socket shows queued -> sent -> succeeded, and the zone changes in the replica', async () => {
    const agent = await agentUp();
    const relay = await relayUp(agent.port);
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(true);
    const live = await LiveClient.open(relay.url);
    cleanups.push(() => live.close());
    const id = randomUUID();
    const res = await postRelayCommand(relay.url, { id, body: { type: 'zone_mode', zone: 'Z9', mode: 'OFF' } });
    expect(res.status).toBe(202);
    // Stored before the answer; with the link up it may already be on its way.
    expect(res.body.id).toBe(id);
    expect(['queued', 'sent']).toContain(res.body.state);
    await live.waitFor((m) => m.type === 'command' && m.command.id === id && m.command.state === 'succeeded');
    expect(live.statesOf(id)).toEqual(['queued', 'sent', 'succeeded']);
    await live.waitFor((m) => m.type === 'zones' && m.zones.some((z) => z.zone === 'Z9' && z.mode === 'OFF'));
    const replicaZone = (await getJson<ZoneState>(relay.url, '/api/zones/Z9')).body;
    expect(replicaZone.mode).toBe('OFF');
    expect(executions(agent.dbPath, id)).toBe(1);
    const stored = (await getJson<{ state: string; attempts: number }>(relay.url, `/api/commands/${id}`)).body;
    expect(stored).toMatchObject({ state: 'succeeded', attempts: 1 });
  });

  it('with the agent down: 202 queued at once; when it is back, executed once each, in order', async () => {
    const first = await agentUp();
    const port = first.port;
    const relay = await relayUp(port);
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(true);
    await first.stop();
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);
    const ids: string[] = [];
    for (const [i, zone] of ['Z1', 'Z2', 'Z3', 'Z4', 'Z5'].entries()) {
      const id = randomUUID();
      ids.push(id);
      const t0 = performance.now();
      const res = await postRelayCommand(relay.url, { id, body: { type: 'setpoint', zone, setpoint_c: 18 + i, override: 'permanent' } });
      expect(performance.now() - t0).toBeLessThan(5000); // answered without waiting for the agent (which is down)
      expect(res).toEqual({ status: 202, body: { id, state: 'queued' } });
    }
    const back = await agentUp({ WS_PORT: String(port) }, first.dir);
    const live = await LiveClient.open(relay.url);
    cleanups.push(() => live.close());
    for (const id of ids) await live.waitFor((m) => m.type === 'command' && m.command.id === id && m.command.state === 'succeeded', 30_000);
    for (const id of ids) expect(executions(back.dbPath, id)).toBe(1);
    expect(commandOrder(back.dbPath).filter((x) => ids.includes(x))).toEqual(ids);
  });

  it('with the agent down past the expiry: expired, never executed', async () => {
    const first = await agentUp();
    const port = first.port;
    const relay = await relayUp(port);
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(true);
    await first.stop();
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);
    const id = randomUUID();
    const res = await postRelayCommand(relay.url, { id, expires_at: Date.now() + 1500, body: { type: 'zone_mode', zone: 'Z2', mode: 'ON' } });
    expect(res.status).toBe(202);
    await expect.poll(async () => (await getJson<{ state: string }>(relay.url, `/api/commands/${id}`)).body.state, { timeout: 10_000 }).toBe('expired');
    const back = await agentUp({ WS_PORT: String(port) }, first.dir);
    await expect.poll(async () => (await linkView(relay.url)).link.lastHeartbeat?.digest_match, { timeout: 15_000 }).toBe(true);
    expect(executions(back.dbPath, id)).toBe(0);
    expect((await getJson<{ state: string; attempts: number }>(relay.url, `/api/commands/${id}`)).body).toMatchObject({ state: 'expired', attempts: 0 });
  });

  it('an agent that does not answer: after 3 attempts the command is dead, listed, and can be retried', async () => {
    const agent = await agentUp();
    const relay = await relayUp(agent.port, { COMMAND_TIMEOUT: '1', LINK_DEAD_AFTER: '120' });
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(true);
    // Frozen, not dead: the socket stays open but nothing is answered.
    agent.proc.proc.kill('SIGSTOP');
    cleanups.push(() => void agent.proc.proc.kill('SIGCONT'));
    const id = randomUUID();
    expect((await postRelayCommand(relay.url, { id, body: { type: 'zone_mode', zone: 'Z3', mode: 'OFF' } })).status).toBe(202);
    await expect.poll(async () => (await getJson<{ state: string }>(relay.url, `/api/commands/${id}`)).body.state, { timeout: 30_000 }).toBe('dead');
    const dead = (await getJson<{ commands: { id: string; attempts: number }[] }>(relay.url, '/api/commands?state=dead')).body.commands;
    expect(dead.find((c) => c.id === id)?.attempts).toBe(3);
    // Retried by the owner while the agent is still frozen: back in the queue with its attempts reset.
    const retry = await fetch(`${relay.url}/api/commands/${id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${TEST_API_KEY}` } });
    expect(retry.status).toBe(202);
    expect(['queued', 'sent']).toContain(((await retry.json()) as { state: string }).state);
    // Thawed, the agent answers every copy it was sent: it runs the id once and replays the rest.
    agent.proc.proc.kill('SIGCONT');
    await expect.poll(async () => (await getJson<{ state: string }>(relay.url, `/api/commands/${id}`)).body.state, { timeout: 30_000 }).toBe('succeeded');
    expect(executions(agent.dbPath, id)).toBe(1);
  });

  it('kill -9 of the relay with commands queued: after restart they are still queued, then executed once each', async () => {
    const first = await agentUp();
    const port = first.port;
    const relay = await relayUp(port);
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(true);
    await first.stop();
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    for (const id of ids) expect((await postRelayCommand(relay.url, { id, body: { type: 'boost', zone: 'Z7', minutes: 30 } })).status).toBe(202);
    relay.proc.proc.kill('SIGKILL');
    await relay.proc.exited;
    const again = await relayUp(port, {}, relay.dir);
    for (const id of ids) expect((await getJson<{ state: string }>(again.url, `/api/commands/${id}`)).body.state).toBe('queued');
    const back = await agentUp({ WS_PORT: String(port) }, first.dir);
    for (const id of ids) await expect.poll(async () => (await getJson<{ state: string }>(again.url, `/api/commands/${id}`)).body.state, { timeout: 20_000 }).toBe('succeeded');
    for (const id of ids) expect(executions(back.dbPath, id)).toBe(1);
  });
});
