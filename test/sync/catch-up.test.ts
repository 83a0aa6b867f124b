import { describe, it, expect, afterEach } from 'vitest';
import { createServer } from 'node:http';
import { Codec } from '@boiler/shared';
import { createLogger, nodeCompression } from '@boiler/service';
import { AgentBus } from '../../agent/src/bus.js';
import { AgentStore } from '../../agent/src/store/index.js';
import { LinkServer } from '../../agent/src/sync/link-server.js';
import { AgentLink } from '../../nas-relay/src/link/agent-link.js';
import { Replica } from '../../nas-relay/src/replica/index.js';
import { StoredOutbox } from '../../agent/test/sync/stored-outbox.js';
import { useTempDir } from '../../service/test/support/temp-files.js';
import { memorySocketPair } from '../fakes/memory-socket.js';
import { expectSameEvents, eventRows } from '../support/compare.js';
import { seedSamples, pruneTo } from '../support/seed.js';

// Catching up after the link was cut, with both real ends of the link in one process: the agent's
// LinkServer over its store in a real SQLite file, the relay's AgentLink applying into a real replica
// file, joined by an in-memory socket pair, on real timers. The relay is "restarted" as its process
// would be: the link stopped, the replica closed, then both opened again on the same file. While it
// catches up, the agent keeps logging live events (14 samples every 50 ms), so live batches overlap
// the ranges asked for, as they do between processes. (The kill -9 and real-socket cases stay as
// process tests: test/sync/crash.test.ts and chaos.test.ts.)

const SECRET = 'catch-up-test-secret-0123456789';
const quiet = createLogger({ name: 'catch-up-test', level: 'silent' });
const dir = useTempDir('catch-up-', 'agent.db');
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0).reverse()) stop();
});

function agentSide() {
  const storePath = dir.path('agent.db');
  const store = AgentStore.open(storePath);
  const bus = new AgentBus();
  const outbox = new StoredOutbox(store, bus, () => Date.now());
  const server = new LinkServer(outbox, bus, new Codec(nodeCompression), quiet, {
    secret: SECRET,
    agentName: 'house',
    batchIntervalMs: 50,
    heartbeatIntervalMs: 200,
  });
  const http = createServer();
  server.attach(http);
  stops.push(() => {
    server.stop(http);
    store.close();
  });
  return { storePath, store, outbox, server };
}

type Agent = ReturnType<typeof agentSide>;

/** The relay: its link dials the agent's server through an in-memory pair; its replica on `replica.db`. */
function startRelay(agent: Agent) {
  const replicaPath = dir.path('replica.db');
  const replica = Replica.open(replicaPath);
  const link = new AgentLink(
    replica,
    new Codec(nodeCompression),
    quiet,
    { url: 'ws://127.0.0.1:1/ws', secret: SECRET, clientName: 'relay', backoffMinMs: 20, backoffMaxMs: 200, catchUpStallMs: 2000 },
    {
      createSocket: () => {
        const [relayEnd, agentEnd] = memorySocketPair({ connecting: true });
        relayEnd.accept();
        agent.server.accept(agentEnd, '127.0.0.1');
        return relayEnd;
      },
    },
  );
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    link.stop();
    replica.close();
  };
  stops.push(stop);
  link.start();
  return { replicaPath, replica, link, stop };
}

/** Waits (polling every 20 ms, at most `ms`) until `pred` holds. */
async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Agent and relay up, the replica caught up with the agent's first events, then the relay stopped. */
async function syncedThenCut(): Promise<Agent> {
  const agent = agentSide();
  agent.outbox.append(200);
  const relay = startRelay(agent);
  await until(() => relay.link.connected && relay.replica.appliedSeq() === agent.store.lastSeq(), 20_000, 'the first sync');
  relay.stop();
  return agent;
}

/** The relay again on its old replica, with live events flowing, until it has `target`; then the agent goes quiet and all settles. */
async function reconnectAndSettle(agent: Agent, target: number) {
  const relay = startRelay(agent);
  const live = setInterval(() => agent.outbox.append(14), 50);
  try {
    await until(() => relay.replica.appliedSeq() >= target, 60_000, `the replica to reach seq ${target}`);
  } finally {
    clearInterval(live);
  }
  await until(() => relay.replica.appliedSeq() === agent.store.lastSeq(), 20_000, 'the last live events');
  const view = { link: { ...relay.link.stats }, replica: { ...relay.replica.stats }, applied_seq: relay.replica.appliedSeq() };
  relay.stop();
  return { view, replicaPath: relay.replicaPath };
}

describe('catching up after the link was cut', () => {
  it('a gap inside the outbox window is filled by range requests, exactly once and in order', async () => {
    const agent = await syncedThenCut();
    const seeded = seedSamples(agent.storePath, 9000);
    const { view, replicaPath } = await reconnectAndSettle(agent, seeded.last);
    expect(view.link.fullSyncs).toBe(0);
    expect(view.link.rangeRequests).toBeGreaterThan(0);
    expectSameEvents(agent.storePath, replicaPath);
    expect(view.replica.eventsSkipped).toBeLessThan(200); // overlaps of live batches, never a whole range twice
  });

  it('over 10,000 queued events take the full-sync path, in pages, and the replica is equal after it', async () => {
    const agent = await syncedThenCut();
    const seeded = seedSamples(agent.storePath, 12_500);
    const { view, replicaPath } = await reconnectAndSettle(agent, seeded.last);
    expect(view.link.fullSyncs).toBe(1);
    const n = expectSameEvents(agent.storePath, replicaPath);
    expect(n).toBeGreaterThanOrEqual(12_500);
  });

  it('a cut longer than the agent keeps (its old events pruned) resyncs fully; the kept events are equal', async () => {
    const agent = await syncedThenCut();
    seedSamples(agent.storePath, 30_000);
    const removed = pruneTo(agent.storePath, 10_000);
    expect(removed).toBeGreaterThan(15_000);
    const kept = eventRows(agent.storePath);
    const { view, replicaPath } = await reconnectAndSettle(agent, kept[kept.length - 1]!.seq);
    expect(view.link.fullSyncs).toBe(1);
    const agentRows = eventRows(agent.storePath);
    const oldest = agentRows[0]!.seq;
    const replicaRows = eventRows(replicaPath).filter((e) => e.seq >= oldest);
    expect(replicaRows).toEqual(agentRows);
    expect(view.applied_seq).toBe(agentRows[agentRows.length - 1]!.seq);
  });
});
