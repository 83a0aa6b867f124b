import { describe, it, expect, afterEach } from 'vitest';
import { startAgent, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { expectSameEvents, eventRows } from '../support/compare.js';
import { seedSamples, pruneTo } from '../support/seed.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
afterEach(async () => {
  await stopAndCleanUp(relay, agent);
  relay = undefined;
  agent = undefined;
});

/** Agent and relay up, the replica caught up, then the relay stopped: the link is cut. */
async function syncedThenCut(): Promise<{ agent: AgentUnderTest; relayDir: string }> {
  agent = await startAgent({ env: { SIM_SPEED: '10', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
  await expect.poll(async () => (await linkView(relay!.url)).link.lastHeartbeat?.digest_match, { timeout: 15_000 }).toBe(true);
  const dir = relay.dir;
  await relay.stop();
  relay = undefined;
  return { agent, relayDir: dir };
}

async function reconnectAndSettle(relayDir: string, target: number) {
  relay = await startRelay(`ws://127.0.0.1:${agent!.port}/ws`, { dir: relayDir });
  await expect.poll(async () => (await linkView(relay!.url)).applied_seq, { timeout: 60_000, interval: 200 }).toBeGreaterThanOrEqual(target);
  await agent!.stop();
  await expect.poll(async () => (await linkView(relay!.url)).connected, { timeout: 10_000 }).toBe(false);
  return linkView(relay!.url);
}

describe('catching up after the link was cut', () => {
  it('a gap inside the outbox window is filled by range requests, exactly once and in order', async () => {
    const { agent: a, relayDir } = await syncedThenCut();
    const seeded = seedSamples(a.dbPath, 9000);
    const view = await reconnectAndSettle(relayDir, seeded.last);
    expect(view.link.fullSyncs).toBe(0);
    expect(view.link.rangeRequests).toBeGreaterThan(0);
    expectSameEvents(a.dbPath, relay!.dbPath);
    expect(view.replica.eventsSkipped).toBeLessThan(200); // overlaps of live batches, never a whole range twice
  });

  it('over 10,000 queued events take the full-sync path, in pages, and the replica is equal after it', async () => {
    const { agent: a, relayDir } = await syncedThenCut();
    const seeded = seedSamples(a.dbPath, 12_500);
    const view = await reconnectAndSettle(relayDir, seeded.last);
    expect(view.link.fullSyncs).toBe(1);
    const n = expectSameEvents(a.dbPath, relay!.dbPath);
    expect(n).toBeGreaterThanOrEqual(12_500);
  });

  it('a cut longer than the agent keeps (its old events pruned) resyncs fully; the kept events are equal', async () => {
    const { agent: a, relayDir } = await syncedThenCut();
    seedSamples(a.dbPath, 30_000);
    const removed = pruneTo(a.dbPath, 10_000);
    expect(removed).toBeGreaterThan(15_000);
    const kept = eventRows(a.dbPath);
    const view = await reconnectAndSettle(relayDir, kept[kept.length - 1]!.seq);
    expect(view.link.fullSyncs).toBe(1);
    const agentRows = eventRows(a.dbPath);
    const oldest = agentRows[0]!.seq;
    const replicaRows = eventRows(relay!.dbPath).filter((e) => e.seq >= oldest);
    expect(replicaRows).toEqual(agentRows);
    expect(view.applied_seq).toBe(agentRows[agentRows.length - 1]!.seq);
  });
});
