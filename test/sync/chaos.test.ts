import { describe, it, expect, afterEach } from 'vitest';
import type { SystemState } from '@boiler/shared';
import { startAgent, getJson, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { expectSameEvents, expectSameZones } from '../support/compare.js';
import { ChaosProxy, NO_CHAOS } from '../support/chaos-proxy.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
let proxy: ChaosProxy | undefined;
afterEach(async () => {
  await relay?.stop();
  await agent?.stop();
  await proxy?.close();
  relay?.cleanup();
  agent?.cleanup();
});

describe('a link that misbehaves', () => {
  it('duplicated, reordered, delayed, truncated and corrupted frames: the replica ends equal, bad frames counted, both live', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    proxy = new ChaosProxy({ host: '127.0.0.1', port: agent.port }, 7);
    const port = await proxy.listen();
    relay = await startRelay(`ws://127.0.0.1:${port}/ws`);
    proxy.chaos = { duplicate: 0.15, reorder: 0.15, delay: 0.15, delayMs: 80, truncate: 0.05, corrupt: 0.05 };
    const start = (await getJson<SystemState>(agent.url, '/api/system')).body.updated_at;
    // At least twenty simulated minutes of mischief, and until every kind of it has happened a few times.
    await expect.poll(async () => (await getJson<SystemState>(agent!.url, '/api/system')).body.updated_at - start, { timeout: 60_000, interval: 500 }).toBeGreaterThan(20 * 60_000);
    const st = proxy.stats;
    await expect.poll(() => Math.min(st.duplicated, st.reordered, st.delayed, st.truncated + st.corrupted), { timeout: 90_000, interval: 250 }).toBeGreaterThanOrEqual(3);
    const during = await linkView(relay.url);
    proxy.chaos = { ...NO_CHAOS };

    // Once the link behaves, the next heartbeats find the replica whole again.
    await expect.poll(async () => (await linkView(relay!.url)).link.lastHeartbeat?.digest_match, { timeout: 30_000 }).toBe(true);
    await expect.poll(async () => {
      const v = await linkView(relay!.url);
      return v.connected && v.applied_seq >= (v.link.lastHeartbeat?.last_seq ?? Infinity);
    }, { timeout: 30_000 }).toBe(true);
    await agent.stop();
    await expect.poll(async () => (await linkView(relay!.url)).connected, { timeout: 10_000 }).toBe(false);
    expectSameEvents(agent.dbPath, relay.dbPath);
    expectSameZones(agent.dbPath, relay.dbPath);
    const after = await linkView(relay.url);
    // The relay saw the mischief: bad frames dropped, duplicates skipped or gaps filled.
    expect(after.link.badFrames + after.link.duplicates + after.link.gaps).toBeGreaterThan(0);
    expect(during.connected || during.link.connects > 1).toBe(true);
    expect(relay.proc.proc.exitCode).toBeNull();
    expect(agent.proc.lines.some((l) => l.level === 60)).toBe(false); // no fatal line in the agent
  });

  it('a half-open link is noticed within the timeout, then reconnected with backoff', async () => {
    // The agent gives up on a silent relay after three of its heartbeats: at 2 s that is 6 s, so the
    // relay's own 3 s limit is what ends the link here (at 1 s both ends raced, and the agent's close
    // came through the proxy as a plain close).
    agent = await startAgent({ env: { SIM_SPEED: '10', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '2' } });
    proxy = new ChaosProxy({ host: '127.0.0.1', port: agent.port });
    const port = await proxy.listen();
    relay = await startRelay(`ws://127.0.0.1:${port}/ws`, { env: { LINK_DEAD_AFTER: '3' } });
    await expect.poll(async () => (await linkView(relay!.url)).connected, { timeout: 10_000 }).toBe(true);
    // The log line comes through a pipe and may trail what /api/link already says.
    await relay.proc.waitForLog((l) => l.msg === 'agent link open', 10_000);
    const opened = relay.proc.lines.filter((l) => l.msg === 'agent link open').length;

    // The proxy stops forwarding without closing anything: both sockets stay up, silent.
    proxy.blackhole = true;
    const t0 = Date.now();
    const dead = await relay.proc.waitForLog((l) => l.msg === 'agent link silent; treating it as dead', 15_000);
    const detectedMs = Date.parse(String(dead.time)) - t0;
    // Dead after 3 s of silence; the last thing heard was at most a ping interval (1 s) before the cut.
    expect(detectedMs).toBeGreaterThan(1000);
    expect(detectedMs).toBeLessThan(8000);
    // Reconnect attempts back off: each delay at least half of 1 s, 2 s, 4 s ...
    await relay.proc.waitForLog((l) => l.msg === 'reconnecting to the agent' && Number(l.attempt) >= 2, 30_000);
    const delays = relay.proc.lines.filter((l) => l.msg === 'reconnecting to the agent').map((l) => Number(l.delay_ms));
    expect(delays[0]).toBeGreaterThanOrEqual(500);
    expect(delays[0]).toBeLessThanOrEqual(1000);
    expect(delays[1]).toBeGreaterThanOrEqual(1000);
    expect(delays[1]).toBeLessThanOrEqual(2000);

    // dropAll ends the attempt hanging in the black hole; the next waits its backoff (up to 16 s by
    // now), so the limit below leaves room for a loaded machine (the old 40 s failed once at load 20).
    proxy.blackhole = false;
    proxy.dropAll();
    await relay.proc.waitForLog((l) => l.msg === 'agent link open' && relay!.proc.lines.filter((x) => x.msg === 'agent link open').length > opened, 60_000);
    await expect.poll(async () => (await linkView(relay!.url)).link.lastHeartbeat?.digest_match, { timeout: 15_000 }).toBe(true);
  });
});
