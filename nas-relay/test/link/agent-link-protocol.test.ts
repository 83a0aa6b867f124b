import { afterEach, describe, expect, it } from 'vitest';
import { once } from 'node:events';
import { Codec, stateDigest, type Command, type CommandResult, type EventEntry, type SystemState, type ZoneState } from '@boiler/shared';
import { createLogger, linkProof, newNonce, nodeCompression } from '@boiler/service';
import { AgentLink, type LinkClientOptions } from '../../src/link/agent-link.js';
import type { LinkSocketFactory } from '../../src/link/link-socket.js';
import type { Replica } from '../../src/replica/index.js';
import { useTempFiles } from '../replica/temp-replica.js';
import { sourceRange } from '../replica/fixtures/source-log.js';
import { SteppedClock } from '../../../test/fakes/stepped-clock.js';
import { memorySocketPair, type MemorySocket } from '../../../test/fakes/memory-socket.js';
import { ScriptedAgent } from '../../../test/fakes/scripted-link-peer.js';

// The relay's end of the link in-process: the real AgentLink and codec, a real replica file, a
// scripted agent on an in-memory socket (each connection the link makes gets a new one), and a
// stepped clock with the jitter's random numbers given by the test.

const SECRET = 'agent-link-test-secret-0123';
const files = useTempFiles();
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0).reverse()) stop();
});

const system: SystemState = { away: false, away_until: null, outdoor_c: 3, boiler_firing: true, hardware: 'sim', time_zone: 'America/Denver', alerts: [], updated_at: 5 };
function zone(name: string, setpoint_c = 20): ZoneState {
  return { zone: name, label: name, kind: 'heat', mode: 'AUTO', output: false, call_for_heat: false, condition: 'normal', room_c: 19, pipe_c: null, setpoint_c, override: null, boost_until: null, fault: null, changed_at: 1, updated_at: 1 };
}

function rig(options: Partial<LinkClientOptions> = {}, randoms: number[] = []) {
  const clock = new SteppedClock();
  const replica = files.openReplica();
  const agents: ScriptedAgent[] = [];
  /** The relay's end of every connection the link made, refused ones too. */
  const relayEnds: MemorySocket[] = [];
  const waiting: ((agent: ScriptedAgent) => void)[] = [];
  let taken = 0;
  let refuseNext = 0;
  let dials = 0;
  const createSocket: LinkSocketFactory = () => {
    dials++;
    const [relayEnd, agentEnd] = memorySocketPair({ connecting: true });
    relayEnds.push(relayEnd);
    if (refuseNext > 0) {
      refuseNext--;
      relayEnd.refuse();
      return relayEnd;
    }
    relayEnd.accept();
    const agent = new ScriptedAgent(agentEnd, () => clock.now());
    agents.push(agent);
    waiting.shift()?.(agent);
    return relayEnd;
  };
  const link = new AgentLink(
    replica,
    new Codec(nodeCompression),
    createLogger({ name: 'link-test', level: 'silent' }),
    { url: 'ws://127.0.0.1:1/ws', secret: SECRET, clientName: 'relay-under-test', backoffMinMs: 1000, backoffMaxMs: 60_000, ...options },
    { createSocket, timers: clock, now: () => clock.now(), monotonic: () => clock.monotonic(), random: () => randoms.shift() ?? 0.5 },
  );
  stops.push(() => link.stop());
  const heard = { connected: 0, disconnected: 0, applied: [] as number[], streamed: [] as number[], results: [] as CommandResult[], zones: [] as string[] };
  link.listen({
    connected: () => heard.connected++,
    disconnected: () => heard.disconnected++,
    applied: (events, _at, how) => {
      heard.applied.push(...events.map((e) => e.seq));
      if (how.streamed) heard.streamed.push(...events.map((e) => e.seq));
    },
    commandResult: (r) => heard.results.push(r),
    zones: (zs) => heard.zones.push(...zs.map((z) => z.zone)),
  });
  /** The next connection the link makes, once it has made it. */
  const nextAgent = (): Promise<ScriptedAgent> => {
    const ready = agents[taken];
    if (ready !== undefined) {
      taken++;
      return Promise.resolve(ready);
    }
    return new Promise((resolve) =>
      waiting.push((agent) => {
        taken++;
        resolve(agent);
      }),
    );
  };
  /** The next connection, handshaken by the book, saying its log ends at lastSeq. */
  const open = async (lastSeq: number): Promise<ScriptedAgent> => {
    const agent = await nextAgent();
    const { relayProofValid } = await agent.handshake(SECRET, lastSeq);
    expect(relayProofValid).toBe(true);
    return agent;
  };
  return {
    clock,
    replica,
    link,
    heard,
    nextAgent,
    open,
    dials: () => dials,
    relayEnds,
    refuse: (n: number) => {
      refuseNext = n;
    },
  };
}

const seqsOf = (replica: Replica): number[] => replica.queryEvents({ limit: 2000 }).map((e: EventEntry) => e.seq).reverse();
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

describe('AgentLink handshake', () => {
  it('sends its nonce, checks the agent proof, only then proves itself; auth_ok opens the link', async () => {
    const { link, heard, nextAgent } = rig();
    link.start();
    const agent = await nextAgent();
    await agent.challengeAndProve(SECRET);
    expect(link.connected).toBe(false);
    const response = await agent.waitFor('auth_response');
    expect(response.payload.mac).toBe(linkProof(SECRET, 'relay->agent', agent.session as NonNullable<typeof agent.session>));
    await agent.send('auth_ok', { last_seq: 0 });
    expect(link.connected).toBe(true);
    expect(heard.connected).toBe(1);
    expect(link.stats.connects).toBe(1);
  });

  it('an agent with the wrong secret is closed 4001; the relay never signs anything for it', async () => {
    const { link, nextAgent } = rig();
    link.start();
    const agent = await nextAgent();
    await agent.challengeAndProve('the-wrong-secret-entirely');
    expect((await agent.whenClosed()).code).toBe(4001);
    expect(agent.all('auth_response')).toEqual([]);
    expect(link.stats.authFailures).toBe(1);
    expect(link.connected).toBe(false);
  });

  it("an agent proof signed under the relay's direction label (a reflected proof) is refused 4001", async () => {
    const { link, nextAgent } = rig();
    link.start();
    const agent = await nextAgent();
    const agentNonce = newNonce();
    await agent.send('auth_challenge', { nonce: agentNonce, agent: 'house' });
    const request = await agent.waitFor('auth_request');
    const session = { agentNonce, relayNonce: request.payload.nonce, agent: 'house', client: request.payload.client };
    await agent.send('auth_proof', { mac: linkProof(SECRET, 'relay->agent', session) });
    expect((await agent.whenClosed()).code).toBe(4001);
    expect(agent.all('auth_response')).toEqual([]);
  });

  it('a proof recorded from an earlier session is refused on the next (the relay nonce is fresh)', async () => {
    const { link, clock, nextAgent, open } = rig({}, [0]);
    link.start();
    const first = await open(0);
    const recorded = first.session as NonNullable<typeof first.session>;
    first.socket.terminate();
    await first.whenClosed();
    clock.advance(500);
    const replayer = await nextAgent();
    await replayer.send('auth_challenge', { nonce: recorded.agentNonce, agent: recorded.agent });
    const request = await replayer.waitFor('auth_request');
    expect(request.payload.nonce).not.toBe(recorded.relayNonce);
    await replayer.send('auth_proof', { mac: linkProof(SECRET, 'agent->relay', recorded) });
    expect((await replayer.whenClosed()).code).toBe(4001);
    expect(replayer.all('auth_response')).toEqual([]);
  });

  it('state from an agent that has not proven itself is applied nowhere: 4001', async () => {
    const { link, replica, nextAgent } = rig();
    link.start();
    const agent = await nextAgent();
    await agent.send('zone_state_update', { zones: [zone('Z1')] });
    expect((await agent.whenClosed()).code).toBe(4001);
    expect(replica.zones()).toEqual([]);
    expect(agent.received).toEqual([]);
  });

  it('auth_ok before the agent proof is out of turn: 4001, the link stays closed', async () => {
    const { link, nextAgent } = rig();
    link.start();
    const agent = await nextAgent();
    await agent.send('auth_challenge', { nonce: newNonce(), agent: 'house' });
    await agent.waitFor('auth_request');
    await agent.send('auth_ok', { last_seq: 0 });
    expect((await agent.whenClosed()).code).toBe(4001);
    expect(link.connected).toBe(false);
    expect(link.stats.connects).toBe(0);
  });

  it('an agent that does not finish the handshake within authTimeoutMs is closed 4002', async () => {
    const { clock, link, nextAgent } = rig({ authTimeoutMs: 10_000 });
    link.start();
    const agent = await nextAgent();
    await agent.challengeAndProve(SECRET);
    await agent.waitFor('auth_response');
    clock.advance(9_999);
    expect(agent.closed).toBeNull();
    clock.advance(1);
    expect((await agent.whenClosed()).code).toBe(4002);
    expect(link.stats.authFailures).toBe(1);
    expect(link.connected).toBe(false);
  });

  it('a handshake message on an open link closes it 4004', async () => {
    const { link, open } = rig();
    link.start();
    const agent = await open(0);
    await agent.send('auth_challenge', { nonce: newNonce(), agent: 'house' });
    expect((await agent.whenClosed()).code).toBe(4004);
    expect(link.connected).toBe(false);
  });
});

describe('AgentLink applying the stream', () => {
  it('applies live events once and in order, acking each batch; a batch it already has is a duplicate and changes nothing', async () => {
    const { link, replica, heard, open } = rig();
    link.start();
    const agent = await open(0);
    await agent.send('event_log_entry', { first_seq: 1, last_seq: 5, events: sourceRange(1, 5) });
    expect((await agent.waitFor('ack', (m) => m.payload.last_seq === 5)).payload.last_seq).toBe(5);
    await agent.send('event_log_entry', { first_seq: 3, last_seq: 5, events: sourceRange(3, 5) });
    await agent.send('event_log_entry', { first_seq: 4, last_seq: 8, events: sourceRange(4, 8) });
    await agent.waitFor('ack', (m) => m.payload.last_seq === 8);
    expect(link.stats.duplicates).toBe(1);
    expect(seqsOf(replica)).toEqual(range(1, 8));
    expect(heard.applied).toEqual(range(1, 8));
    expect(agent.all('ack').map((m) => m.payload.last_seq)).toEqual([5, 8]);
    expect(link.stats.eventsApplied).toBe(8);
  });

  it('a gap asks for the missing range; the answer fills it', async () => {
    const { link, replica, heard, open } = rig();
    link.start();
    const agent = await open(0);
    agent.answer('range_request', (m) => {
      const { after_seq, to_seq } = m.payload;
      void agent.send('event_log_entry', { first_seq: after_seq + 1, last_seq: to_seq, events: sourceRange(after_seq + 1, to_seq) }, m.id === undefined ? {} : { id: m.id });
    });
    await agent.send('event_log_entry', { first_seq: 1, last_seq: 3, events: sourceRange(1, 3) });
    await agent.send('event_log_entry', { first_seq: 7, last_seq: 9, events: sourceRange(7, 9) });
    const request = await agent.waitFor('range_request');
    expect(request.payload).toEqual({ after_seq: 3, to_seq: 9 });
    await agent.waitFor('ack', (m) => m.payload.last_seq === 9);
    expect(link.stats.gaps).toBe(1);
    expect(link.stats.rangeRequests).toBe(1);
    expect(seqsOf(replica)).toEqual(range(1, 9));
    // The live batch was heard as live, the catch-up's page as streamed history.
    expect(heard.streamed).toEqual(range(4, 9));
  });

  it('auth_ok ahead of the replica asks for the range at once', async () => {
    const { link, replica, open } = rig();
    replica.applyEvents(sourceRange(1, 4));
    link.start();
    const agent = await open(12);
    expect((await agent.waitFor('range_request')).payload).toEqual({ after_seq: 4, to_seq: 12 });
  });

  it('a gap past the outbox is answered by a paged full sync, which the relay applies: zones replaced, events from the first kept', async () => {
    const { link, replica, heard, open } = rig();
    replica.applyEvents(sourceRange(1, 3));
    replica.applyZones([zone('OLD')]);
    link.start();
    const agent = await open(3);
    // The agent's log was pruned up to 20: it answers the range with a full sync, as its LinkServer does.
    agent.answer('range_request', (m) => {
      const meta = m.id === undefined ? {} : { id: m.id };
      void agent.send('full_sync_response', { page: 0, done: false, snapshot: { zones: [zone('Z1'), zone('Z2')], system, last_seq: 30, first_kept_seq: 20 }, events: sourceRange(20, 25) }, meta);
      void agent.send('full_sync_response', { page: 1, done: true, snapshot: null, events: sourceRange(26, 30) }, meta);
    });
    await agent.send('event_log_entry', { first_seq: 30, last_seq: 30, events: sourceRange(30, 30) });
    await agent.waitFor('ack', (m) => m.payload.last_seq === 30);
    expect(link.stats.fullSyncs).toBe(1);
    expect(replica.appliedSeq()).toBe(30);
    expect(seqsOf(replica)).toEqual([...range(1, 3), ...range(20, 30)]);
    expect(replica.zones().map((z) => z.zone)).toEqual(['Z1', 'Z2']);
    expect(replica.system()).toEqual(system);
    expect(heard.zones).toEqual(['Z1', 'Z2']);
    expect(heard.streamed).toEqual(range(20, 30));
  });

  it('a catch-up with no progress is asked again only after catchUpStallMs', async () => {
    const { clock, link, open } = rig({ catchUpStallMs: 10_000 });
    link.start();
    const agent = await open(20);
    await agent.waitFor('range_request');
    const beat = { last_seq: 20, digest: 'x', uptime_s: 1 };
    clock.advance(9_999);
    await agent.send('heartbeat', beat);
    expect(link.stats.rangeRequests).toBe(1);
    clock.advance(1);
    const again = agent.next('range_request');
    await agent.send('heartbeat', beat);
    expect((await again).payload).toEqual({ after_seq: 0, to_seq: 20 });
    expect(link.stats.rangeRequests).toBe(2);
  });

  it('a heartbeat whose digest differs from the replica asks for a state resync; after it the digests match and nothing more is asked', async () => {
    const { link, replica, open } = rig();
    link.start();
    const agent = await open(0);
    const zones = [zone('Z1', 21)];
    const digest = stateDigest(zones, system);
    agent.answer('full_sync_request', (m) => {
      void agent.send('full_sync_response', { page: 0, done: true, snapshot: { zones, system, last_seq: 0, first_kept_seq: 0 }, events: [] }, m.id === undefined ? {} : { id: m.id });
    });
    await agent.send('heartbeat', { last_seq: 0, digest, uptime_s: 10 });
    const request = await agent.waitFor('full_sync_request');
    expect(request.payload).toEqual({ reason: 'digest mismatch', after_seq: 0 });
    expect(link.stats.lastHeartbeat?.digest_match).toBe(false);
    await agent.waitFor('ack');
    expect(replica.digest()).toBe(digest);
    await agent.send('heartbeat', { last_seq: 0, digest, uptime_s: 40 });
    expect(link.stats.lastHeartbeat?.digest_match).toBe(true);
    expect(link.stats.digestMismatches).toBe(1);
  });
});

describe('AgentLink liveness and reconnect', () => {
  it('pings keep a quiet link alive while the agent answers; silent for deadAfterMs, it is dropped and redialled', async () => {
    const { clock, link, heard, open, relayEnds } = rig({ deadAfterMs: 90_000 }, [0]);
    link.start();
    const agent = await open(0);
    const socket = relayEnds[0] as MemorySocket;
    for (let i = 0; i < 9; i++) {
      const pong = once(socket, 'pong');
      clock.advance(30_000);
      await pong;
    }
    expect(link.connected).toBe(true);
    agent.socket.answersPings = false;
    clock.advance(89_999);
    expect(link.connected).toBe(true);
    clock.advance(1);
    await agent.whenClosed();
    expect(link.connected).toBe(false);
    expect(heard.disconnected).toBe(1);
    // First attempt after a drop: 1 s base, half of it with random 0.
    clock.advance(500);
    await open(0);
    expect(heard.connected).toBe(2);
  });

  it('reconnects with exponential backoff and equal jitter from the injected random, reset by a successful handshake', async () => {
    const { clock, link, dials, refuse, open, relayEnds } = rig({ backoffMinMs: 1000, backoffMaxMs: 60_000 }, [0, 1, 0.5, 0.25]);
    refuse(3);
    link.start();
    expect(dials()).toBe(1);
    // Each refused dial schedules the next: attempt 0 with random 0 → 500 ms, 1 with 1 → 2000 ms, 2 with 0.5 → 3000 ms.
    for (const delay of [500, 2000, 3000]) {
      const before = dials();
      // (events.once would reject on the refusal's 'error'; the close follows it, as with ws.)
      await new Promise((resolve) => (relayEnds[before - 1] as MemorySocket).once('close', resolve));
      expect(clock.untilNext()).toBe(delay);
      clock.advance(delay - 1);
      expect(dials()).toBe(before);
      clock.advance(1);
      expect(dials()).toBe(before + 1);
    }
    const agent = await open(0);
    expect(link.connected).toBe(true);
    agent.socket.terminate();
    await agent.whenClosed();
    // Attempt 0 again (the handshake reset it), random 0.25 → 500 + 125.
    expect(clock.untilNext()).toBe(625);
    expect(link.backoffDelay(10)).toBeLessThanOrEqual(60_000);
  });

  it('backoff is capped at backoffMaxMs and never under half of it', () => {
    const randoms = [0, 0.999999];
    const { link } = rig({ backoffMinMs: 1000, backoffMaxMs: 60_000 }, randoms);
    expect(link.backoffDelay(12)).toBe(30_000);
    expect(link.backoffDelay(12)).toBe(60_000);
  });
});

describe('AgentLink commands', () => {
  const command: Command = { id: '00000000-0000-4000-8000-000000000007', created_at: 1, expires_at: Date.UTC(2030, 0, 1), body: { type: 'boost', zone: 'Z1', minutes: 30 } };

  it('sends a command under its id only while open, and hands the answer to its listeners', async () => {
    const { link, heard, open } = rig();
    expect(link.sendCommand(command)).toBe(false);
    link.start();
    const agent = await open(0);
    expect(link.sendCommand(command)).toBe(true);
    const request = await agent.waitFor('command_request');
    expect(request.id).toBe(command.id);
    expect(request.payload.command).toEqual(command);
    await agent.send('command_response', { result: { id: command.id, outcome: 'succeeded', error: null, seq: 1, finished_at: 2 } }, { id: command.id });
    expect(heard.results).toEqual([{ id: command.id, outcome: 'succeeded', error: null, seq: 1, finished_at: 2 }]);
  });
});
