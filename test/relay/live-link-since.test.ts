import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { startAgent, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { LiveClient } from '../support/live-client.js';

// The apps say "Pi offline since ..." from the relay's own clock: the moment it saw the link drop,
// on the link message and on every later snapshot, and nothing once the link is back.

let agent: AgentUnderTest;
let relay: RelayUnderTest;
beforeAll(async () => {
  agent = await startAgent({ env: { BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { LINK_DEAD_AFTER: '5' } });
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

describe('pi_offline_since on the live socket', () => {
  it('is null while the Pi is linked, the drop time once it is not, and null again when it is back', async () => {
    const first = await LiveClient.open(relay.url);
    expect(first.messages[0]).toMatchObject({ type: 'snapshot', pi_connected: true, pi_offline_since: null });

    const before = Date.now();
    await agent.stop();
    const down = await first.waitFor((m) => m.type === 'link' && !m.pi_connected);
    const after = Date.now();
    const since = down.type === 'link' ? down.pi_offline_since : null;
    expect(since).not.toBeNull();
    expect(since).toBeGreaterThanOrEqual(before);
    expect(since).toBeLessThanOrEqual(after);

    // A UI that connects later hears the same moment, not the time it asked.
    const later = await LiveClient.open(relay.url);
    expect(later.messages[0]).toMatchObject({ type: 'snapshot', pi_connected: false, pi_offline_since: since });

    agent = await startAgent({ dir: agent.dir, env: { ...agent.env, WS_PORT: String(agent.port) } });
    await later.waitFor((m) => m.type === 'link' && m.pi_connected, 60_000);
    expect(later.messages.find((m) => m.type === 'link' && m.pi_connected)).toMatchObject({ pi_offline_since: null });
    const third = await LiveClient.open(relay.url);
    expect(third.messages[0]).toMatchObject({ type: 'snapshot', pi_connected: true, pi_offline_since: null });
    for (const c of [first, later, third]) c.close();
  }, 90_000);
});
