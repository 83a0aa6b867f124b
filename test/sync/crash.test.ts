import { describe, it, expect, afterEach } from 'vitest';
import Database from 'better-sqlite3';
import { startAgent, command, postCommand, getJson, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { expectSameEvents, eventRows } from '../support/compare.js';
import { seedSamples } from '../support/seed.js';
import { ChaosProxy, NO_CHAOS } from '../support/chaos-proxy.js';

const running: { stop(): Promise<void>; cleanup(): void }[] = [];
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop();
});

function track<T extends { stop(): Promise<void>; cleanup(): void }>(p: T): T {
  running.push(p);
  return p;
}

/**
 * Rollup sums are where a seq applied twice would show: compare one zone's history both sides,
 * over the seeded window only (which ends a day before now). The restarted agent records live
 * samples the relay, linked to the old port, never gets; a window reaching now compared those too.
 */
async function expectSameHistory(agent: AgentUnderTest, relay: RelayUnderTest, zone: string): Promise<void> {
  const q = `/api/zones/${zone}/history?from=${Date.now() - 61 * 24 * 3600_000}&to=${Date.now() - 24 * 3600_000}&points=200`;
  const a = await getJson<{ points: unknown[] }>(agent.url, q);
  const r = await getJson<{ points: unknown[] }>(relay.url, q);
  expect(r.body.points.length).toBeGreaterThan(0);
  expect(r.body.points.length).toBe(a.body.points.length);
  // Sums built in other batch sizes differ in the last bit of a double; a SAMPLE applied twice
  // would shift an average by far more than this.
  a.body.points.forEach((ap, i) => {
    const rp = r.body.points[i] as Record<string, number | null>;
    for (const [k, v] of Object.entries(ap as Record<string, number | null>)) {
      if (v === null) expect(rp[k]).toBeNull();
      else expect(rp[k]).toBeCloseTo(v, 9);
    }
  });
}

function contiguousUnique(path: string): void {
  const seqs = eventRows(path).map((e) => e.seq);
  expect(new Set(seqs).size).toBe(seqs.length);
  for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] as number) + 1);
}

describe('crashes while syncing', () => {
  it('kill -9 of the relay in the middle of applying: after restart the replica is equal and no seq applied twice', async () => {
    const agent = track(await startAgent({ env: { SIM_SPEED: '5', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } }));
    const seeded = seedSamples(agent.dbPath, 30_000);
    // A slow link (one frame every 40 ms) stretches the sync so the kill lands in the middle of it.
    const proxy = new ChaosProxy({ host: '127.0.0.1', port: agent.port });
    proxy.chaos = { ...NO_CHAOS, paceMs: 40 };
    const proxyPort = await proxy.listen();
    running.push({ stop: () => proxy.close(), cleanup: () => undefined });
    const relay = await startRelay(`ws://127.0.0.1:${proxyPort}/ws`, { env: { LOG_LEVEL: 'debug' } });
    // Killed as soon as it says it has applied the fifth page of the sync.
    await relay.proc.waitForLog((l) => l.msg === 'sync page applied' && Number(l.page) >= 5, 30_000);
    relay.proc.proc.kill('SIGKILL');
    await relay.proc.exited;
    const before = new Database(relay.dbPath, { readonly: true });
    const appliedAtKill = (before.prepare(`SELECT value FROM meta WHERE key = 'applied_seq'`).get() as { value: number }).value;
    before.close();
    expect(appliedAtKill).toBeLessThan(seeded.last); // it really died mid-catch-up

    const again = track(await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { dir: relay.dir }));
    await expect.poll(async () => (await linkView(again.url)).applied_seq, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(seeded.last);
    await agent.stop();
    await expect.poll(async () => (await linkView(again.url)).connected, { timeout: 10_000 }).toBe(false);
    contiguousUnique(again.dbPath);
    expectSameEvents(agent.dbPath, again.dbPath);
    const db = new Database(again.dbPath, { readonly: true });
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    db.close();
    // History comes from rollups that a double-applied SAMPLE would inflate; restart the agent to ask it.
    const agent2 = track(await startAgent({ dir: agent.dir, env: { SIM_SPEED: '1' } }));
    await expectSameHistory(agent2, again, 'Z3');
  });

  it('kill -9 of the agent in the middle of a batch: after restart the replica is equal and no seq applied twice', async () => {
    const agent = await startAgent({ env: { SIM_SPEED: '600', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1', API_RATE_LIMIT: '100000' } });
    const relay = track(await startRelay(`ws://127.0.0.1:${agent.port}/ws`));
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(true);
    // Commands make COMMAND events that go out at once; the agent dies while they stream.
    let killed = false;
    const burst = async () => {
      for (let i = 0; i < 500 && !killed; i++) {
        try {
          await postCommand(agent.url, command({ type: 'boost', zone: `Z${(i % 13) + 1}`, minutes: 5 }, { expires_at: Date.now() + 30 * 24 * 3600_000 }));
        } catch {
          return;
        }
        if (i === 60) {
          killed = true;
          agent.proc.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all([burst(), burst()]);
    await agent.proc.exited;
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);

    const restarted = track(await startAgent({ dir: agent.dir, env: { WS_PORT: String(agent.port), SIM_SPEED: '5', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } }));
    await expect.poll(async () => (await linkView(relay.url)).link.lastHeartbeat?.digest_match, { timeout: 30_000 }).toBe(true);
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(true);
    await restarted.stop();
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);
    contiguousUnique(relay.dbPath);
    expectSameEvents(agent.dbPath, relay.dbPath);
  });
});
