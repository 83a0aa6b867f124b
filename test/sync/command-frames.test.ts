import { afterEach, describe, expect, it } from 'vitest';
import { command, startAgent, TEST_SECRET, type AgentUnderTest } from '../support/agent-process.js';
import { authenticateToAgent, frame, type PeerSocket } from '../support/link-peer.js';

let agent: AgentUnderTest | undefined;
let peer: PeerSocket | undefined;
afterEach(async () => {
  peer?.close();
  await agent?.stop();
  agent?.cleanup();
});

describe('a relay command on the agent link', () => {
  it('goes out as: the command event, the answer, then the zone it changed (not held for the next batch)', async () => {
    // The longest batch interval: a zone frame that came from the batch timer could not follow the answer at once.
    agent = await startAgent({ env: { BATCH_INTERVAL: '5' } });
    peer = (await authenticateToAgent(`ws://127.0.0.1:${agent.port}/ws`, TEST_SECRET)).peer;
    const c = command({ type: 'zone_mode', zone: 'Z9', mode: 'OFF' });
    const before = peer.received.length;
    peer.send(frame('command_request', { command: c }, { id: c.id }));
    const answer = await peer.waitForMatch((m) => m.type === 'command_response' && m.payload.result.id === c.id, 'the first answer');
    // A second command at once: had the first one's zone waited for a batch, it would come after this one's event.
    const c2 = command({ type: 'zone_mode', zone: 'Z8', mode: 'OFF' });
    peer.send(frame('command_request', { command: c2 }, { id: c2.id }));
    const answer2 = await peer.waitForMatch((m) => m.type === 'command_response' && m.payload.result.id === c2.id, 'the second answer');
    if (answer.type !== 'command_response' || answer2.type !== 'command_response') throw new Error('not answers');
    expect(answer.payload.result).toMatchObject({ id: c.id, outcome: 'succeeded' });
    expect(answer2.payload.result).toMatchObject({ id: c2.id, outcome: 'succeeded' });

    const after = peer.received.slice(before);
    const at = after.indexOf(answer);
    const carriesEvent = (seq: number | null) => (m: (typeof after)[number]) => m.type === 'event_log_entry' && m.payload.events.some((e) => e.seq === seq && e.event === 'COMMAND');
    // Before the answer: the event the command wrote (the relay's replica has it when the UI hears "succeeded").
    expect(after.findIndex(carriesEvent(answer.payload.result.seq))).toBeGreaterThanOrEqual(0);
    expect(after.findIndex(carriesEvent(answer.payload.result.seq))).toBeLessThan(at);
    // Straight after it, in the same turn of the agent's loop: the zone the command changed, before anything of the next command.
    const z9Off = (m: (typeof after)[number]) => m.type === 'zone_state_update' && m.payload.zones.some((z) => z.zone === 'Z9' && z.mode === 'OFF');
    expect(after.findIndex(z9Off)).toBe(at + 1);
    expect(after.findIndex(z9Off)).toBeLessThan(after.findIndex(carriesEvent(answer2.payload.result.seq)));
  }, 30_000);
});
