import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Codec, type EventEntry, type SystemState } from '@boiler/shared';
import { linkProof, newNonce, nodeCompression } from '@boiler/service';
import { AgentLink } from '../../src/link/agent-link.js';
import { Replica } from '../../src/replica/index.js';
import { sourceRange } from '../replica/fixtures/source-log.js';
import { FakeAgentServer, frame, type PeerSocket } from '../../../test/support/link-peer.js';

// The relay's side of the link against a scripted agent on a real socket and a real replica file.

const SECRET = 'link-test-secret-0123456789';
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

const system: SystemState = { away: false, away_until: null, outdoor_c: null, boiler_firing: false, hardware: 'sim', time_zone: 'America/Denver', alerts: [], updated_at: 1 };

async function rig(options: { authTimeoutMs?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'relay-link-'));
  const replica = Replica.open(join(dir, 'replica.db'));
  const connections: PeerSocket[] = [];
  const waiting: ((p: PeerSocket) => void)[] = [];
  const fake = new FakeAgentServer((p) => {
    const w = waiting.shift();
    if (w !== undefined) w(p);
    else connections.push(p);
  });
  const port = await fake.listen();
  const link = new AgentLink(replica, new Codec(nodeCompression), pino({ level: 'silent' }), {
    url: `ws://127.0.0.1:${port}/ws`,
    secret: SECRET,
    clientName: 'relay-under-test',
    backoffMinMs: 20,
    backoffMaxMs: 40,
    ...options,
  });
  cleanup.push(async () => {
    link.stop();
    await fake.close();
    replica.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const nextConnection = (): Promise<PeerSocket> => {
    const ready = connections.shift();
    return ready !== undefined ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
  };
  /** The agent's side of the handshake, with the secret; resolves once auth_ok is sent. */
  const open = async (lastSeq: number): Promise<PeerSocket> => {
    const peer = await nextConnection();
    const nonce = newNonce();
    peer.send(frame('auth_challenge', { nonce, agent: 'house' }));
    const req = await peer.waitFor('auth_request');
    peer.send(frame('auth_proof', { mac: linkProof(SECRET, 'agent->relay', { agentNonce: nonce, relayNonce: req.payload.nonce, agent: 'house', client: req.payload.client }) }));
    await peer.waitFor('auth_response');
    peer.send(frame('auth_ok', { last_seq: lastSeq }));
    return peer;
  };
  return { replica, link, open, nextConnection };
}

const rows = (replica: Replica): EventEntry[] => replica.queryEvents({ limit: 2000 }).reverse();

describe('AgentLink', () => {
  it('a heartbeat reporting less than the replica holds: full sync from zero that replaces the events', async () => {
    const { replica, link, open } = await rig();
    replica.applyEvents(sourceRange(1, 100));
    link.start();
    const agent = await open(100);
    await expect.poll(() => link.connected).toBe(true);
    // The agent's database was replaced: its log now ends at 40, with other events.
    agent.send(frame('heartbeat', { last_seq: 40, digest: replica.digest(), uptime_s: 1 }));
    const request = await agent.waitFor('full_sync_request');
    expect(request.payload.after_seq).toBe(0);
    const fresh = sourceRange(1, 40).map((e) => ({ ...e, detail: 'after the swap' }));
    agent.send(frame('full_sync_response', { page: 0, done: true, snapshot: { zones: [], system, last_seq: 40, first_kept_seq: 1 }, events: fresh }, request.id === undefined ? {} : { id: request.id }));
    await expect.poll(() => replica.appliedSeq()).toBe(40);
    expect(rows(replica)).toEqual(fresh);
    expect(link.stats.resyncsAhead).toBe(1);
  });

  it('auth_ok reporting less than the replica holds does the same at once', async () => {
    const { replica, link, open } = await rig();
    replica.applyEvents(sourceRange(1, 30));
    replica.advanceTo(Number.MAX_SAFE_INTEGER); // what an unauthenticated peer could once leave
    link.start();
    const agent = await open(10);
    const request = await agent.waitFor('full_sync_request');
    expect(request.payload.after_seq).toBe(0);
    agent.send(frame('full_sync_response', { page: 0, done: true, snapshot: { zones: [], system, last_seq: 10, first_kept_seq: 1 }, events: sourceRange(1, 10) }));
    await expect.poll(() => replica.appliedSeq()).toBe(10);
    expect(rows(replica).map((e) => e.seq)).toEqual(sourceRange(1, 10).map((e) => e.seq));
  });

  it('a full-sync page nobody asked for is dropped, even from the authenticated agent', async () => {
    const { replica, link, open } = await rig();
    link.start();
    const agent = await open(0);
    await expect.poll(() => link.connected).toBe(true);
    agent.send(frame('full_sync_response', { page: 0, done: true, snapshot: { zones: [], system, last_seq: Number.MAX_SAFE_INTEGER, first_kept_seq: 1 }, events: [] }));
    // An event after it is applied: the page was handled (and dropped) before it.
    agent.send(frame('event_log_entry', { first_seq: 1, last_seq: 1, events: sourceRange(1, 1) }));
    await agent.waitForMatch((m) => m.type === 'ack' && m.payload.last_seq === 1, 'the ack');
    expect(replica.appliedSeq()).toBe(1);
    expect(replica.system()).toBeNull();
    expect(link.stats.badFrames).toBe(1);
  });

  it('an agent that does not finish the handshake in time is closed with 4002; nothing it sent is applied', async () => {
    const { replica, link, nextConnection } = await rig({ authTimeoutMs: 300 });
    link.start();
    const silent = await nextConnection();
    silent.send(frame('auth_challenge', { nonce: newNonce(), agent: 'house' }));
    await silent.waitFor('auth_request');
    expect((await silent.whenClosed()).code).toBe(4002);
    expect(link.stats.authFailures).toBe(1);
    expect(link.connected).toBe(false);
    expect(replica.appliedSeq()).toBe(0);
  });
});
