import { describe, it, expect, afterAll } from 'vitest';
import type { SystemState } from '@boiler/shared';
import { startAgent, getJson, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { expectSameEvents, expectSameZones } from '../support/compare.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
afterAll(async () => {
  await relay?.stop();
  await agent?.stop();
  relay?.cleanup();
  agent?.cleanup();
});

describe('agent and relay side by side', () => {
  it('after 10 simulated minutes the replica equals the agent, event by event and zone by zone', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    const start = (await getJson<SystemState>(agent.url, '/api/system')).body.updated_at;
    await expect.poll(async () => (await getJson<SystemState>(agent!.url, '/api/system')).body.updated_at - start, { timeout: 30_000, interval: 500 }).toBeGreaterThan(10 * 60_000);
    // While running, heartbeats find the replica's state digest equal to the agent's.
    await expect.poll(async () => (await linkView(relay!.url)).link.lastHeartbeat?.digest_match, { timeout: 10_000 }).toBe(true);

    // A graceful stop sends the relay everything, then a last heartbeat, before the link closes.
    await agent.stop();
    await expect.poll(async () => (await linkView(relay!.url)).connected, { timeout: 10_000 }).toBe(false);
    const view = await linkView(relay.url);
    expect(view.link.lastHeartbeat?.digest_match).toBe(true);
    const n = expectSameEvents(agent.dbPath, relay.dbPath);
    expect(n).toBeGreaterThan(14 * 10); // a SAMPLE a zone a minute, plus switching
    expect(view.applied_seq).toBe(n);
    expectSameZones(agent.dbPath, relay.dbPath);
    expect(view.link.badFrames).toBe(0);
  });
});
