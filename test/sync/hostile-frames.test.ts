import { describe, it, expect, afterAll } from 'vitest';
import fc from 'fast-check';
import WebSocket from 'ws';
import { gzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { crc32, MESSAGE_TYPES, PROTOCOL_VERSION } from '@boiler/shared';
import { linkProof, newNonce } from '@boiler/service';
import { startAgent, getJson, TEST_API_KEY, TEST_SECRET, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { FakeAgentServer, authenticateToAgent, connectToAgent, frame, type PeerSocket } from '../support/link-peer.js';

// Must show 1 of issue 8: the deep-nesting frame that used to stop the agent, and fast-check's
// arbitrary frames (bytes, deep nesting, huge numbers, envelopes with any payload), sent to the
// agent's /ws before and after auth, to the relay's live socket, and from a fake agent to a
// relay: every process stays up and the legitimate link keeps replicating.

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
let victim: RelayUnderTest | undefined;
let fake: FakeAgentServer | undefined;
afterAll(async () => {
  await fake?.close();
  for (const p of [victim, relay, agent]) {
    await p?.stop();
    p?.cleanup();
  }
});

/** A wait that, should the socket close first, leaves the race to the close. */
const orClose = <T>(p: Promise<T>): Promise<T> => p.catch(() => new Promise<T>(() => undefined));

const nest = (n: number) => '['.repeat(n) + ']'.repeat(n);
/** The frame of the report: an auth answer whose payload is 6,000 arrays deep. */
const DEEP_FRAME = `{"v":${PROTOCOL_VERSION},"type":"auth_response","ts":1,"sum":"00000000","payload":${nest(6000)}}`;
/** As deep as fits the 4 KiB a frame may have before auth: refused for its depth, not its size. */
const DEEP_SMALL_FRAME = `{"v":${PROTOCOL_VERSION},"type":"auth_response","ts":1,"sum":"00000000","payload":${nest(2000)}}`;

/** An envelope of any type whose checksum is right, so its payload reaches the schema. */
function envelope(type: string, payloadJson: string, ts = '1700000000000'): string {
  return `{"v":${PROTOCOL_VERSION},"type":"${type}","ts":${ts},"sum":"${crc32(payloadJson)}","payload":${payloadJson}}`;
}

const hugeNumber = fc.oneof(
  fc.constantFrom('1e400', '-1e400', '9007199254740993', '1e21', '-0', '123456789012345678901234567890.5'),
  fc.bigInt({ min: 2n ** 53n, max: 2n ** 1000n }).map(String),
  fc.double({ noNaN: true }).map((x) => (Number.isFinite(x) ? String(x) : '1e999')),
);

/** Frames nobody honest sends: text and bytes, nesting to any depth, numbers past every range. */
const hostileFrame: fc.Arbitrary<string | Uint8Array> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 2048 }),
  fc.uint8Array({ maxLength: 512 }).map((b) => new Uint8Array([0x1f, 0x8b, ...b])), // looks like gzip, is not
  fc.integer({ min: 1, max: 200_000 }).map((n) => new Uint8Array(gzipSync(envelope('heartbeat', nest(n))))), // deep, compressed
  fc.string({ maxLength: 400 }),
  fc.integer({ min: 30, max: 100_000 }).map((n) => envelope('auth_response', nest(n))),
  fc.integer({ min: 30, max: 50_000 }).map((n) => `{"v":${PROTOCOL_VERSION},"type":"heartbeat","ts":1,"sum":"0","payload":${'{"a":'.repeat(n)}1${'}'.repeat(n)}}`),
  fc.tuple(fc.constantFrom(...MESSAGE_TYPES), hugeNumber).map(([type, n]) => envelope(type, `{"last_seq":${n},"seq":${n},"first_seq":${n},"page":${n}}`, n)),
  fc.tuple(fc.constantFrom(...MESSAGE_TYPES), fc.jsonValue({ maxDepth: 6 })).map(([type, v]) => envelope(type, JSON.stringify(v) ?? 'null')),
  fc.json({ depthSize: 'large' }),
);

describe('hostile frames on every socket', () => {
  it('the agent /ws before and after auth, the relay live socket and a fake agent: every process stays up, the real link replicates on', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    await expect.poll(async () => (await linkView(relay!.url)).applied_seq, { timeout: 20_000 }).toBeGreaterThan(0);
    const appliedBefore = (await linkView(relay.url)).applied_seq;
    const agentWs = `ws://127.0.0.1:${agent.port}/ws`;

    // 1. The agent's /ws before auth: each frame on a fresh socket, answered by a close (or, for
    //    a well-formed auth_request, by the agent's proof).
    const beforeAuth = async (f: string | Uint8Array): Promise<number> => {
      const peer = await connectToAgent(agentWs);
      await peer.waitFor('auth_challenge');
      peer.send(f);
      const outcome = await Promise.race([peer.whenClosed().then((c) => c.code), orClose(peer.waitFor('auth_proof')).then(() => 0)]);
      peer.close();
      return outcome;
    };
    expect(await beforeAuth(DEEP_FRAME)).toBe(1009); // over the handshake's 4 KiB: not even parsed
    expect(await beforeAuth(DEEP_SMALL_FRAME)).toBe(1007);
    // The close can reach the peer before the agent's log line has come through its stdout pipe.
    await agent.proc.waitForLog((l) => l.msg === 'bad frame from relay dropped' && l.code === 'too_deep', 5000);
    await fc.assert(
      fc.asyncProperty(hostileFrame, async (f) => {
        expect([0, 1007, 1009, 4001]).toContain(await beforeAuth(f));
      }),
      { numRuns: 80 },
    );
    expect(agent.proc.proc.exitCode).toBeNull();

    // 2. The agent's /ws after auth: bad frames are dropped (a socket that sends twenty is closed);
    //    a range request after each one proves the session still answers, in order.
    let session: PeerSocket | undefined;
    const authenticated = async (): Promise<PeerSocket> => {
      if (session === undefined || session.closed !== null) {
        const opened = await authenticateToAgent(agentWs, TEST_SECRET, 'fuzzer');
        expect(opened.lastSeq).not.toBeNull();
        session = opened.peer;
      }
      return session;
    };
    const afterAuth = async (f: string | Uint8Array): Promise<void> => {
      const peer = await authenticated();
      peer.send(f);
      const id = randomUUID();
      peer.send(frame('range_request', { after_seq: 0, to_seq: 1 }, { id }));
      // Either the probe is answered (the frame was dropped) or the frame closed the socket.
      await Promise.race([orClose(peer.waitForMatch((m) => m.id === id, 'the probe answer')), peer.whenClosed()]);
    };
    await afterAuth(DEEP_FRAME);
    await fc.assert(fc.asyncProperty(hostileFrame, afterAuth), { numRuns: 80 });
    session?.close();
    expect(agent.proc.proc.exitCode).toBeNull();
    // The close can reach the peer before the agent's log line has come through its stdout pipe.
    await agent.proc.waitForLog((l) => l.msg === 'bad frame from relay dropped' && l.code === 'too_deep', 5000);

    // 3. The relay's live socket (the apps'): each frame closes its socket with a code or is a
    //    ping answered; a ping after it proves the socket was handled in order.
    const liveUrl = `${relay.url.replace(/^http/, 'ws')}/api/live`;
    const live = async (f: string | Uint8Array): Promise<number> => {
      const ws = new WebSocket(liveUrl, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
      ws.on('error', () => undefined);
      await new Promise((resolve) => ws.once('open', resolve));
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      const ponged = new Promise<number>((resolve) =>
        ws.on('message', (d) => {
          if ((JSON.parse(d.toString()) as { type: string; id?: string }).id === 'probe') resolve(0);
        }),
      );
      ws.send(f, { binary: typeof f !== 'string' });
      ws.send(JSON.stringify({ type: 'ping', id: 'probe' }));
      const outcome = await Promise.race([closed, ponged]);
      ws.terminate();
      return outcome;
    };
    expect(await live(DEEP_FRAME)).toBe(1007);
    await fc.assert(
      fc.asyncProperty(hostileFrame, async (f) => {
        expect([0, 1007, 1009, 4401]).toContain(await live(f));
      }),
      { numRuns: 80 },
    );
    expect(relay.proc.proc.exitCode).toBeNull();

    // 4. A fake agent at another relay's PI_WS_URL: hostile frames before the handshake (each
    //    closes the link), then, having the secret, after it (each dropped and counted; a valid
    //    event after each proves the relay still applies in order).
    let nextSeq = 1;
    const pending: ((peer: PeerSocket) => void)[] = [];
    fake = new FakeAgentServer((peer) => pending.shift()?.(peer));
    const fakePort = await fake.listen();
    victim = await startRelay(`ws://127.0.0.1:${fakePort}/ws`);
    const nextRelayConnection = () => new Promise<PeerSocket>((resolve) => pending.push(resolve));

    let linked: PeerSocket | undefined;
    const openLink = async (): Promise<PeerSocket> => {
      if (linked !== undefined && linked.closed === null) return linked;
      const peer = await nextRelayConnection();
      const nonce = newNonce();
      peer.send(frame('auth_challenge', { nonce, agent: 'house' }));
      const req = await peer.waitFor('auth_request');
      peer.send(frame('auth_proof', { mac: linkProof(TEST_SECRET, 'agent->relay', { agentNonce: nonce, relayNonce: req.payload.nonce, agent: 'house', client: req.payload.client }) }));
      await peer.waitFor('auth_response');
      peer.send(frame('auth_ok', { last_seq: nextSeq - 1 }));
      linked = peer;
      return peer;
    };

    const preAuthCodes: number[] = [];
    for (const f of [DEEP_SMALL_FRAME, DEEP_FRAME, ...fc.sample(hostileFrame, 6)]) {
      const peer = await nextRelayConnection();
      peer.send(frame('auth_challenge', { nonce: newNonce(), agent: 'house' }));
      await peer.waitFor('auth_request');
      peer.send(f);
      preAuthCodes.push((await peer.whenClosed()).code);
      // A link that opens resets the relay's reconnect backoff, so the next attempt comes within a second.
      (await openLink()).close();
    }
    expect(preAuthCodes.slice(0, 2)).toEqual([1007, 1009]);
    for (const code of preAuthCodes) expect([1007, 1009, 4001]).toContain(code);

    const toRelay = async (f: string | Uint8Array): Promise<void> => {
      const peer = await openLink();
      peer.send(f);
      const seq = nextSeq;
      const event = { seq, ts: Date.now(), source: 'system' as const, zone: null, event: 'ALERT' as const, room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: 'probe' };
      peer.send(frame('event_log_entry', { first_seq: seq, last_seq: seq, events: [event] }));
      const acked = await Promise.race([orClose(peer.waitForMatch((m) => m.type === 'ack' && m.payload.last_seq >= seq, 'the ack')).then(() => true), peer.whenClosed().then(() => false)]);
      if (acked) nextSeq++;
    };
    await toRelay(DEEP_FRAME);
    await fc.assert(fc.asyncProperty(hostileFrame, toRelay), { numRuns: 60 });
    expect(nextSeq).toBeGreaterThan(50); // nearly every probe event applied, in order, between the hostile frames
    expect((await linkView(victim.url)).applied_seq).toBe(nextSeq - 1);
    expect(victim.proc.proc.exitCode).toBeNull();
    await victim.proc.waitForLog((l) => l.msg === 'bad frame from agent dropped' && l.code === 'too_deep', 5000);

    // Through all of it the real link never dropped and kept replicating; every process answers.
    const view = await linkView(relay.url);
    expect(view.connected).toBe(true);
    expect(view.link.connects).toBe(1);
    await expect.poll(async () => (await linkView(relay!.url)).applied_seq, { timeout: 20_000 }).toBeGreaterThan(appliedBefore);
    expect((await getJson<{ zones: unknown[] }>(relay.url, '/api/zones')).body.zones.length).toBeGreaterThan(0);
    expect((await getJson<{ status: string }>(agent.url, '/health')).status).toBe(200);
    for (const p of [agent, relay, victim]) expect(p.proc.proc.exitCode).toBeNull();
  });
});
