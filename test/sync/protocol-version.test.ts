import { describe, it, expect, afterEach } from 'vitest';
import { crc32, PROTOCOL_VERSION } from '@boiler/shared';
import { newNonce } from '@boiler/service';
import { startAgent, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { FakeAgentServer, connectToAgent, type PeerSocket } from '../support/link-peer.js';

// Protocol 2 added setpoint_c to events, which are strict objects: a build of protocol 1 on the other
// end would drop every event frame as an unknown field while the link looked up. Instead each end
// refuses the other at its first frame, naming both versions, before anything is applied.

/** A well-formed frame of protocol 1 (checksum and all): what a peer of the build before speaks. */
function v1Frame(type: string, payload: unknown): string {
  const json = JSON.stringify(payload);
  return `{"v":1,"type":"${type}","ts":${Date.now()},"sum":"${crc32(json)}","payload":${json}}`;
}

let relay: RelayUnderTest | undefined;
let agent: AgentUnderTest | undefined;
let fake: FakeAgentServer | undefined;
afterEach(async () => {
  await stopAndCleanUp(relay, agent);
  await fake?.close();
  relay = agent = fake = undefined;
});

describe('a peer of protocol 1', () => {
  it('is refused by the relay at its first frame, the versions named in the log, nothing applied', async () => {
    expect(PROTOCOL_VERSION).toBe(2);
    const seen: PeerSocket[] = [];
    fake = new FakeAgentServer((r) => {
      seen.push(r);
      r.send(v1Frame('auth_challenge', { nonce: newNonce(), agent: 'old-agent' }));
    });
    const port = await fake.listen();
    relay = await startRelay(`ws://127.0.0.1:${port}/ws`);
    const line = await relay.proc.waitForLog((l) => l.msg === 'bad frame from agent dropped');
    expect(line).toMatchObject({ code: 'version_mismatch', state: 'awaiting_challenge' });
    expect(String(line.reason)).toContain('protocol version 1, expected 2');
    const closed = await seen[0]!.whenClosed();
    expect(closed.reason).toBe('version_mismatch');
    // Nothing was signed for it and the link never opened.
    expect(seen[0]!.received.map((m) => m.type)).toEqual([]);
    expect(relay.proc.lines.some((l) => l.msg === 'agent link open')).toBe(false);
  });

  it('is refused by the agent at its first frame, the socket closed with the reason', async () => {
    agent = await startAgent();
    const peer = await connectToAgent(`ws://127.0.0.1:${agent.port}/ws`);
    await peer.waitFor('auth_challenge');
    peer.send(v1Frame('auth_request', { nonce: newNonce(), client: 'old-relay' }));
    const closed = await peer.whenClosed();
    expect(closed.reason).toBe('version_mismatch');
    expect(peer.received.map((m) => m.type)).toEqual(['auth_challenge']);
  });
});
