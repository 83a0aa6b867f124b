import { afterEach, describe, expect, it, vi } from 'vitest';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { Codec, PROTOCOL_VERSION, stateDigest, type Command, type EventEntry } from '@boiler/shared';
import { createLogger, linkProof, newNonce, nodeCompression } from '@boiler/service';
import { AgentBus } from '../../src/bus.js';
import { LinkServer, STREAM_LOW_WATER_BYTES, type LinkOptions } from '../../src/sync/link-server.js';
import type { LinkSocketServer, WriteBatching } from '../../src/sync/link-socket.js';
import { useTempFiles } from '../store/temp-store.js';
import { StoredOutbox, zoneState } from './stored-outbox.js';
import { SteppedClock } from '../../../test/fakes/stepped-clock.js';
import { memorySocketPair, type MemorySocket } from '../../../test/fakes/memory-socket.js';
import { ScriptedRelay } from '../../../test/fakes/scripted-link-peer.js';

// The agent's end of the relay link in-process: the real LinkServer and codec, its outbox in a real
// SQLite file, a scripted relay on an in-memory socket, and timers that move only when stepped.

const SECRET = 'link-server-test-secret-0123';
const files = useTempFiles();
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0).reverse()) stop();
});

function rig(options: Partial<LinkOptions> = {}) {
  const clock = new SteppedClock();
  const bus = new AgentBus();
  const outbox = new StoredOutbox(files.openStore(), bus, () => clock.now());
  const link = new LinkServer(
    outbox,
    bus,
    new Codec(nodeCompression),
    createLogger({ name: 'link-test', level: 'silent' }),
    { secret: SECRET, agentName: 'house', batchIntervalMs: 2000, heartbeatIntervalMs: 30_000, authTimeoutMs: 10_000, ...options },
    { timers: clock, monotonic: () => clock.monotonic() },
  );
  // attach starts the batch and heartbeat timers and follows the bus; the server never listens.
  const server = createServer();
  link.attach(server);
  stops.push(() => link.stop(server));
  /** A relay connecting: the agent's end goes to the link, the scripted relay holds the other. */
  const connect = (stream?: WriteBatching): { relay: ScriptedRelay; agentEnd: MemorySocket } => {
    const [agentEnd, relayEnd] = memorySocketPair();
    link.accept(agentEnd, '127.0.0.1', stream);
    return { relay: new ScriptedRelay(relayEnd, () => clock.now()), agentEnd };
  };
  const open = async (stream?: WriteBatching): Promise<{ relay: ScriptedRelay; agentEnd: MemorySocket }> => {
    const c = connect(stream);
    const { agentProofValid } = await c.relay.handshake(SECRET);
    expect(agentProofValid).toBe(true);
    return c;
  };
  return { clock, bus, outbox, link, connect, open };
}

/** The longest detail an event may have, random: gzip cannot shrink a page of 1000 of them below the low-water mark. */
const incompressibleDetail = () => randomBytes(250).toString('hex');
const seqs = (events: readonly EventEntry[]) => events.map((e) => e.seq);
const range = (first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => first + i);

describe('LinkServer handshake', () => {
  it('proves itself over both nonces first, opens on the relay proof, then sends auth_ok with its last seq and the current state', async () => {
    const { outbox, link, open } = rig();
    outbox.append(3);
    const { relay } = await open();
    const ok = await relay.waitFor('auth_ok');
    expect(ok.payload.last_seq).toBe(3);
    expect((await relay.waitFor('zone_state_update')).payload.zones.map((z) => z.zone)).toEqual(['Z1', 'Z2']);
    expect((await relay.waitFor('system_state_update')).payload.system).toEqual(outbox.systemState);
    expect((await relay.waitFor('settings_update')).payload.settings).toEqual(outbox.siteSettings);
    // The events before auth_ok are the relay's to ask for (it knows the last seq), not resent live.
    expect(relay.all('event_log_entry')).toEqual([]);
    expect(link.sessionCount()).toBe(1);
    expect(link.stats.authFailures).toBe(0);
  });

  it('a relay with the wrong secret gets the agent proof but is closed 4001 at its own; nothing else is sent', async () => {
    const { link, connect } = rig();
    const { relay } = connect();
    const challenge = await relay.waitFor('auth_challenge');
    const session = { agentNonce: challenge.payload.nonce, relayNonce: newNonce(), agent: 'house', client: 'impostor' };
    await relay.send('auth_request', { nonce: session.relayNonce, client: session.client });
    await relay.waitFor('auth_proof');
    await relay.send('auth_response', { mac: linkProof('not-the-secret-at-all', 'relay->agent', session) });
    expect((await relay.whenClosed()).code).toBe(4001);
    expect(relay.received.map((m) => m.type)).toEqual(['auth_challenge', 'auth_proof']);
    expect(link.stats.authFailures).toBe(1);
    expect(link.sessionCount()).toBe(0);
  });

  it("a relay that sends the agent's own nonce back (reflection) is closed 4001 before the agent signs anything", async () => {
    const { link, connect } = rig();
    const { relay } = connect();
    const challenge = await relay.waitFor('auth_challenge');
    await relay.send('auth_request', { nonce: challenge.payload.nonce, client: 'mirror' });
    expect((await relay.whenClosed()).code).toBe(4001);
    expect(relay.all('auth_proof')).toEqual([]);
    expect(link.stats.authFailures).toBe(1);
  });

  it('a relay proof recorded from an earlier session does not open a new one (the agent nonce is fresh)', async () => {
    const { link, open, connect } = rig();
    const first = await open();
    const recorded = first.relay.session;
    if (recorded === null) throw new Error('no session');
    const replayedMac = linkProof(SECRET, 'relay->agent', recorded);
    const { relay } = connect();
    const challenge = await relay.waitFor('auth_challenge');
    expect(challenge.payload.nonce).not.toBe(recorded.agentNonce);
    await relay.send('auth_request', { nonce: recorded.relayNonce, client: recorded.client });
    await relay.waitFor('auth_proof');
    await relay.send('auth_response', { mac: replayedMac });
    expect((await relay.whenClosed()).code).toBe(4001);
    expect(relay.all('auth_ok')).toEqual([]);
    expect(link.stats.authFailures).toBe(1);
  });

  it('a handshake message on an open link (replayed or injected) closes it with 4004', async () => {
    const { link, open } = rig();
    const { relay } = await open();
    await relay.send('auth_request', { nonce: newNonce(), client: 'again' });
    expect((await relay.whenClosed()).code).toBe(4004);
    expect(link.stats.authFailures).toBe(1);
  });

  it('a relay that speaks out of turn (data before its nonce, its proof before the agent proof) is closed 4001 and sent nothing', async () => {
    const { outbox, link, connect } = rig();
    outbox.append(5);
    const early = connect().relay;
    await early.waitFor('auth_challenge');
    await early.send('range_request', { after_seq: 0, to_seq: 5 });
    expect((await early.whenClosed()).code).toBe(4001);
    expect(early.received.map((m) => m.type)).toEqual(['auth_challenge']);

    const hasty = connect().relay;
    await hasty.waitFor('auth_challenge');
    await hasty.send('auth_response', { mac: 'ab'.repeat(32) });
    expect((await hasty.whenClosed()).code).toBe(4001);
    expect(link.stats.authFailures).toBe(2);
  });

  it('a relay that does not finish the handshake within authTimeoutMs is closed 4002; one that never completes the close is cut after the grace', async () => {
    const { clock, link, connect } = rig({ authTimeoutMs: 10_000 });
    const { relay } = connect();
    await relay.waitFor('auth_challenge');
    relay.socket.answersClose = false;
    clock.advance(9_999);
    expect(link.stats.authTimeouts).toBe(0);
    const closing = once(relay.socket, 'closing');
    clock.advance(1);
    expect(link.stats.authTimeouts).toBe(1);
    // The agent said 4002 and waits for the relay's close; the relay never answers, so it is cut off.
    expect(await closing).toEqual([4002]);
    clock.advance(1999);
    expect(relay.closed).toBeNull();
    clock.advance(1);
    const closed = await relay.whenClosed();
    expect(closed.code).toBe(4002);
    expect(link.sessionCount()).toBe(0);
  });

  it('a frame larger than a handshake, before the relay has proven itself, is closed 1009 unparsed', async () => {
    const { link, connect } = rig();
    const { relay } = connect();
    await relay.waitFor('auth_challenge');
    await relay.sendFrame(`{"v":${PROTOCOL_VERSION},"type":"auth_request","ts":1,"payload":{"nonce":"${'a'.repeat(8000)}"}}`);
    expect((await relay.whenClosed()).code).toBe(1009);
    expect(link.stats.badFrames).toBe(1);
  });
});

describe('LinkServer publishing', () => {
  it('samples wait for the batch interval; an urgent event goes at once with what waited', async () => {
    const { clock, outbox, link, open } = rig({ batchIntervalMs: 2000 });
    const { relay } = await open();
    await relay.waitFor('settings_update');
    const sent = link.stats.framesSent;
    outbox.append(3, 'SAMPLE');
    expect(link.stats.framesSent).toBe(sent);
    clock.advance(1999);
    expect(link.stats.framesSent).toBe(sent);
    const batch = relay.next('event_log_entry');
    clock.advance(1);
    expect((await batch).payload).toMatchObject({ first_seq: 1, last_seq: 3 });

    outbox.append(2, 'SAMPLE');
    const urgent = relay.next('event_log_entry');
    outbox.append(1, 'ON');
    const frame = await urgent;
    expect(seqs(frame.payload.events)).toEqual([4, 5, 6]);
    expect(frame.payload.events.map((e) => e.event)).toEqual(['SAMPLE', 'SAMPLE', 'ON']);
  });

  it('sends live events as the bus announced them, equal to the rows in the log; after a write it was not told of, reads the log again', async () => {
    const { outbox, open } = rig({ batchIntervalMs: 60_000 });
    const { relay } = await open();
    await relay.waitFor('settings_update');
    const first = relay.next('event_log_entry');
    const announced = outbox.append(2, 'ON');
    expect((await first).payload.events).toEqual(announced);
    expect(announced).toEqual(outbox.store.eventsAfter(0, 10));

    // Seqs 3-4 reach the log with no word on the bus; 5 is announced: the frame carries 3-5 from the log.
    outbox.store.appendEvents([3, 4].map(() => ({ ts: 1, source: 'control' as const, zone: 'Z1', event: 'OFF' as const, room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: 'unannounced' })));
    const second = relay.next('event_log_entry');
    outbox.append(1, 'ON');
    const frame = await second;
    expect(seqs(frame.payload.events)).toEqual([3, 4, 5]);
    expect(frame.payload.events).toEqual(outbox.store.eventsAfter(2, 10));

    // Announced again from there on.
    const third = relay.next('event_log_entry');
    const sixth = outbox.append(1, 'OFF');
    expect((await third).payload.events).toEqual(sixth);
    expect(seqs(sixth)).toEqual([6]);
  });

  it('a zone goes again only when something but its updated_at changed; system state likewise', async () => {
    const { clock, outbox, link, open } = rig({ batchIntervalMs: 2000 });
    const { relay } = await open();
    await relay.waitFor('settings_update');
    const sent = link.stats.framesSent;
    outbox.zoneStates = [zoneState('Z1', { updated_at: 50 }), zoneState('Z2', { updated_at: 50 })];
    outbox.systemState = { ...outbox.systemState, updated_at: 50 };
    clock.advance(2000);
    expect(link.stats.framesSent).toBe(sent);

    outbox.zoneStates = [zoneState('Z1', { updated_at: 60 }), zoneState('Z2', { setpoint_c: 22, updated_at: 60 })];
    const zones = relay.next('zone_state_update');
    clock.advance(2000);
    expect((await zones).payload.zones.map((z) => [z.zone, z.setpoint_c])).toEqual([['Z2', 22]]);
    expect(relay.all('system_state_update')).toHaveLength(1);
  });

  it('each heartbeat interval: what changed, then a heartbeat with the last seq, the state digest and the uptime', async () => {
    const { clock, outbox, open } = rig({ heartbeatIntervalMs: 30_000, batchIntervalMs: 60_000 });
    const { relay } = await open();
    outbox.append(4, 'SAMPLE');
    const beat = relay.next('heartbeat');
    clock.advance(30_000);
    const heartbeat = await beat;
    expect(heartbeat.payload).toEqual({ last_seq: 4, digest: stateDigest(outbox.zoneStates, outbox.systemState), uptime_s: 30 });
    // The samples went before the heartbeat, so the relay never hears of a seq it cannot have.
    const events = relay.all('event_log_entry');
    expect(events.map((m) => m.payload.last_seq)).toEqual([4]);
    expect(relay.received.indexOf(events[0] as never)).toBeLessThan(relay.received.indexOf(heartbeat));
  });

  it('a relay silent for three heartbeats (pings unanswered) is cut off; one that answers pings stays', async () => {
    const { clock, link, open } = rig({ heartbeatIntervalMs: 30_000 });
    const { relay, agentEnd } = await open();
    for (let beat = 0; beat < 5; beat++) {
      const pong = once(agentEnd, 'pong');
      clock.advance(30_000);
      await pong;
    }
    expect(relay.all('heartbeat')).toHaveLength(5);
    expect(relay.closed).toBeNull();
    expect(link.sessionCount()).toBe(1);

    relay.socket.answersPings = false;
    clock.advance(90_000);
    expect(relay.closed).toBeNull();
    clock.advance(30_000);
    expect((await relay.whenClosed()).code).toBe(1006);
    expect(link.sessionCount()).toBe(0);
  });
});

describe('LinkServer catch-up and full sync', () => {
  it('a range request within the outbox: exactly the events asked, in pages, under the request id', async () => {
    const { outbox, open } = rig({ pageSize: 10 });
    outbox.append(25);
    const { relay } = await open();
    await relay.send('range_request', { after_seq: 3, to_seq: 20 }, { id: 'range-1' });
    const last = await relay.waitFor('event_log_entry', (m) => m.payload.last_seq === 20);
    const pages = relay.all('event_log_entry');
    expect(pages.map((m) => [m.payload.first_seq, m.payload.last_seq, m.id])).toEqual([
      [4, 13, 'range-1'],
      [14, 20, 'range-1'],
    ]);
    expect(pages.flatMap((m) => seqs(m.payload.events))).toEqual(range(4, 20));
    expect(last.id).toBe('range-1');
  });

  it('a range older than the outbox window is answered by a paged full sync: the snapshot on page 0, every event once, done on the last', async () => {
    const { outbox, open } = rig({ syncPageSize: 8, outboxWindow: 10 });
    outbox.append(30);
    const { relay } = await open();
    await relay.send('range_request', { after_seq: 2, to_seq: 30 }, { id: 'range-2' });
    await relay.waitFor('full_sync_response', (m) => m.payload.done);
    const pages = relay.all('full_sync_response');
    expect(pages.map((p) => p.payload.page)).toEqual([0, 1, 2, 3]);
    expect(pages.map((p) => p.payload.done)).toEqual([false, false, false, true]);
    expect(pages.map((p) => p.id)).toEqual(['range-2', 'range-2', 'range-2', 'range-2']);
    expect(pages[0]?.payload.snapshot).toEqual({ zones: outbox.zoneStates, system: outbox.systemState, last_seq: 30, first_kept_seq: 1 });
    expect(pages.slice(1).every((p) => p.payload.snapshot === null)).toBe(true);
    expect(pages.flatMap((p) => seqs(p.payload.events))).toEqual(range(1, 30));
    expect(relay.all('event_log_entry')).toEqual([]);
  });

  it('a full sync after pruning starts at the oldest kept event and says so', async () => {
    const { outbox, open } = rig({ syncPageSize: 50 });
    outbox.append(20);
    // What pruning leaves (the store keeps a whole outbox window, so its own prune would take nothing here).
    files.raw().prepare('DELETE FROM events WHERE seq < 16').run();
    const { relay } = await open();
    await relay.send('full_sync_request', { reason: 'test', after_seq: 0 });
    const page = await relay.waitFor('full_sync_response');
    expect(page.payload.done).toBe(true);
    expect(page.payload.snapshot?.first_kept_seq).toBe(16);
    expect(seqs(page.payload.events)).toEqual(range(16, 20));
  });

  it('a stream sends its next page only once the socket has drained below the low-water mark, woken by the writes, not a timer', async () => {
    const { clock, outbox, open } = rig({ syncPageSize: 1000 });
    outbox.append(2500, 'SAMPLE', incompressibleDetail);
    const { relay, agentEnd } = await open();
    await relay.waitFor('settings_update');
    const bufferedBeforeEachPage: number[] = [];
    agentEnd.holdDelivery();
    const send = agentEnd.send.bind(agentEnd);
    agentEnd.send = (frame, options, done) => {
      bufferedBeforeEachPage.push(agentEnd.bufferedAmount);
      send(frame, options, done);
    };
    const timersBefore = clock.pending();
    // Node's timers faked while the stream waits, to count them: a wait that polled would leave one set.
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval'] });
    try {
      await relay.send('full_sync_request', { reason: 'test', after_seq: 0 });
      // Every microtask has run by the next turn of the event loop: a stream that did not wait would have sent page 1 by now.
      await new Promise((resolve) => setImmediate(resolve));
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
    expect(bufferedBeforeEachPage).toHaveLength(1);
    expect(agentEnd.bufferedAmount).toBeGreaterThan(STREAM_LOW_WATER_BYTES);
    expect(clock.pending()).toBe(timersBefore);

    agentEnd.releaseDelivery();
    await relay.waitFor('full_sync_response', (m) => m.payload.done);
    const pages = relay.all('full_sync_response');
    expect(pages.map((p) => p.payload.events.length)).toEqual([1000, 1000, 500]);
    expect(bufferedBeforeEachPage).toHaveLength(3);
    expect(bufferedBeforeEachPage.every((b) => b <= STREAM_LOW_WATER_BYTES)).toBe(true);
  });

  it('a stream the relay stops reading ends when the link closes, without another page', async () => {
    const { outbox, open, link } = rig({ syncPageSize: 1000 });
    outbox.append(1500, 'SAMPLE', incompressibleDetail);
    const { relay, agentEnd } = await open();
    await relay.waitFor('settings_update');
    agentEnd.holdDelivery();
    const sentBefore = link.stats.framesSent;
    await relay.send('full_sync_request', { reason: 'test', after_seq: 0 });
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.stats.framesSent).toBe(sentBefore + 1);
    relay.socket.terminate();
    await relay.whenClosed();
    await new Promise((resolve) => setImmediate(resolve));
    expect(link.stats.framesSent).toBe(sentBefore + 1);
  });
});

describe('LinkServer commands and bad frames', () => {
  const command: Command = { id: '00000000-0000-4000-8000-000000000001', created_at: 1, expires_at: Date.UTC(2030, 0, 1), body: { type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'permanent' } };

  it("runs a relay's command as relay:<client>; its event goes before the answer, the zone it changed right after", async () => {
    const { outbox, open, clock } = rig({ batchIntervalMs: 60_000 });
    const { relay } = await open();
    await relay.waitFor('settings_update');
    outbox.answerCommand = (c) => {
      const [event] = outbox.append(1, 'COMMAND');
      outbox.zoneStates = [zoneState('Z1', { setpoint_c: 22 }), zoneState('Z2')];
      return { kind: 'done', replayed: false, result: { id: c.id, outcome: 'succeeded', error: null, seq: event?.seq ?? null, finished_at: clock.now() } };
    };
    await relay.send('command_request', { command }, { id: command.id });
    const answer = await relay.waitFor('command_response');
    expect(answer.id).toBe(command.id);
    expect(answer.payload.result).toMatchObject({ id: command.id, outcome: 'succeeded', seq: 1 });
    expect(outbox.executed).toEqual([{ command, actor: 'relay:relay-under-test' }]);
    const zone = await relay.waitFor('zone_state_update', (m) => m.payload.zones.some((z) => z.setpoint_c === 22));
    const order = relay.received.map((m) => m.type);
    const at = (m: unknown) => relay.received.indexOf(m as never);
    expect(order.indexOf('event_log_entry')).toBeLessThan(at(answer));
    expect(at(answer)).toBeLessThan(at(zone));
  });

  it("a command's events and its answer leave in one write (the stream held from before it runs until after the answer); the zone after, apart", async () => {
    const { outbox, open, clock } = rig({ batchIntervalMs: 60_000 });
    const writes: string[] = [];
    const { relay, agentEnd } = await open({ cork: () => writes.push('cork'), uncork: () => writes.push('uncork') });
    await relay.waitFor('settings_update');
    const send = agentEnd.send.bind(agentEnd);
    agentEnd.send = (frame, options, done) => {
      const text = typeof frame === 'string' ? frame : 'gzip';
      writes.push(/"type":"(\w+)"/.exec(text)?.[1] ?? text);
      send(frame, options, done);
    };
    outbox.answerCommand = (c) => {
      const [event] = outbox.append(1, 'COMMAND');
      outbox.zoneStates = [zoneState('Z1', { setpoint_c: 22 }), zoneState('Z2')];
      return { kind: 'done', replayed: false, result: { id: c.id, outcome: 'succeeded', error: null, seq: event?.seq ?? null, finished_at: clock.now() } };
    };
    await relay.send('command_request', { command }, { id: command.id });
    await relay.waitFor('zone_state_update', (m) => m.payload.zones.some((z) => z.setpoint_c === 22));
    expect(writes).toEqual(['cork', 'event_log_entry', 'command_response', 'uncork', 'zone_state_update']);
  });

  it('a refused command is answered with its code (expired as expired, the rest as failed)', async () => {
    const { outbox, open } = rig();
    const { relay } = await open();
    outbox.answerCommand = () => ({ kind: 'refused', code: 'expired', message: 'too late' });
    await relay.send('command_request', { command }, { id: 'a' });
    outbox.answerCommand = () => ({ kind: 'refused', code: 'id_conflict', message: 'used' });
    await relay.send('command_request', { command }, { id: 'b' });
    const a = await relay.waitFor('command_response', (m) => m.id === 'a');
    const b = await relay.waitFor('command_response', (m) => m.id === 'b');
    expect(a.payload.result).toMatchObject({ outcome: 'expired', error: { code: 'expired', message: 'too late' }, seq: null });
    expect(b.payload.result).toMatchObject({ outcome: 'failed', error: { code: 'id_conflict' }, seq: null });
  });

  it('bad frames on an open link are dropped and counted; twenty within a minute close it 1007, older ones do not count', async () => {
    const { clock, link, open } = rig();
    const { relay } = await open();
    for (let i = 0; i < 19; i++) await relay.sendFrame('{not json');
    clock.advance(61_000);
    for (let i = 0; i < 19; i++) await relay.sendFrame('{not json');
    expect(relay.closed).toBeNull();
    expect(link.stats.badFrames).toBe(38);
    await relay.sendFrame('{not json');
    expect((await relay.whenClosed()).code).toBe(1007);
  });

  it('an acknowledgement moves the acked seq; a message only the agent sends is dropped and the link stays', async () => {
    const { outbox, link, open } = rig();
    outbox.append(4);
    const { relay } = await open();
    await relay.send('ack', { last_seq: 4 });
    await relay.send('auth_ok', { last_seq: 1 });
    expect(link.stats.relayAckedSeq).toBe(4);
    expect(link.stats.badFrames).toBe(1);
    expect(relay.closed).toBeNull();
  });
});

describe('LinkServer.attach', () => {
  it('hands an upgrade at /ws to the injected socket server and refuses any other path with 404', async () => {
    const clock = new SteppedClock();
    const bus = new AgentBus();
    const outbox = new StoredOutbox(files.openStore(), bus, () => clock.now());
    const [agentEnd, relayEnd] = memorySocketPair();
    const upgrades: string[] = [];
    const socketServer: LinkSocketServer = {
      handleUpgrade: (req, _socket, _head, done) => {
        upgrades.push(req.url ?? '');
        done(agentEnd);
      },
      close: () => undefined,
    };
    const link = new LinkServer(outbox, bus, new Codec(nodeCompression), createLogger({ name: 'link-test', level: 'silent' }), { secret: SECRET, agentName: 'house' }, {
      timers: clock,
      monotonic: () => clock.monotonic(),
      createSocketServer: ({ maxPayload }) => {
        expect(maxPayload).toBe(1024 * 1024);
        return socketServer;
      },
    });
    const server = createServer();
    link.attach(server);
    stops.push(() => link.stop(server));
    const relay = new ScriptedRelay(relayEnd, () => clock.now());

    const elsewhere = new PassThrough();
    const written: Buffer[] = [];
    elsewhere.on('data', (b: Buffer) => written.push(b));
    const ended = new Promise((resolve) => elsewhere.on('end', resolve));
    server.emit('upgrade', { url: '/api/ws', socket: { remoteAddress: '127.0.0.1' } } as IncomingMessage, elsewhere, Buffer.alloc(0));
    await ended;
    expect(Buffer.concat(written).toString()).toMatch(/^HTTP\/1.1 404 /);

    server.emit('upgrade', { url: '/ws?x=1', socket: { remoteAddress: '127.0.0.1' } } as IncomingMessage, new PassThrough(), Buffer.alloc(0));
    expect(upgrades).toEqual(['/ws?x=1']);
    expect((await relay.handshake(SECRET)).agentProofValid).toBe(true);
    expect(link.stats.connections).toBe(1);
  });
});
