import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { LiveClient, postRelayCommand } from '../support/live-client.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

/** `promtool check metrics` on the text; a missing promtool fails (scripts/install-test-deps.sh installs it), never skips. */
function promtoolCheck(text: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', timeout: 60_000 });
  if (run.error !== undefined) {
    throw new Error(`promtool could not run (${run.error.message}): install Debian's prometheus package with scripts/install-test-deps.sh (as root)`);
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}`.trim() };
}

describe('relay /metrics', () => {
  it('passes `promtool check metrics` after traffic (events, a command, reads, a live socket)', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    await relay.proc.waitForLog((l) => l.msg === 'agent link open');
    const live = await LiveClient.open(relay.url);
    const id = randomUUID();
    expect((await postRelayCommand(relay.url, { id, body: { type: 'zone_mode', zone: 'Z2', mode: 'ON' } })).status).toBe(202);
    await live.waitFor((m) => m.type === 'command' && m.command.id === id && m.command.state === 'succeeded');
    live.close();
    for (const path of ['/api/zones', '/api/zones/Z2', '/api/system', '/api/events?limit=5']) {
      expect((await fetch(`${relay.url}${path}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } })).status, path).toBe(200);
    }
    await expect.poll(async () => ((await (await fetch(`${relay!.url}/health`)).json()) as { last_seq: number }).last_seq, { timeout: 10_000 }).toBeGreaterThan(0);

    const text = await (await fetch(`${relay.url}/metrics`)).text();
    // The scrape has what the check is about: a histogram with data, counters, gauges of ours.
    expect(text).toMatch(/^# TYPE boiler_relay_command_latency_seconds histogram$/m);
    expect(text).toMatch(/^boiler_relay_command_latency_seconds_count\{outcome="succeeded"\} 1$/m);
    expect(text).toMatch(/^# TYPE boiler_relay_messages_total counter$/m);
    expect(text).toMatch(/^boiler_relay_replica_lag_percentile_seconds\{kind="urgent",percentile="99"\} /m);
    const check = promtoolCheck(text);
    expect(check.output).toBe('');
    expect(check.status).toBe(0);

    // And the check means something: it refuses what /metrics used to carry.
    const old = `# HELP boiler_relay_nodejs_active_handles_total Total number of active handles.\n# TYPE boiler_relay_nodejs_active_handles_total gauge\nboiler_relay_nodejs_active_handles_total 3\n`;
    expect(promtoolCheck(old).status).not.toBe(0);
  });
});
