import { describe, it, expect, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startAgent, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { LiveClient, postRelayCommand } from '../support/live-client.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

describe('relay health and metrics', () => {
  it('/health has its fields and /metrics exports throughput, command latency, link uptime, cache hit rate and replica lag', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '10', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    await relay.proc.waitForLog((l) => l.msg === 'agent link open');
    const live = await LiveClient.open(relay.url);
    const id = randomUUID();
    await postRelayCommand(relay.url, { id, body: { type: 'zone_mode', zone: 'Z4', mode: 'OFF' } });
    await live.waitFor((m) => m.type === 'command' && m.command.id === id && m.command.state === 'succeeded');
    live.close();
    await expect.poll(async () => ((await (await fetch(`${relay!.url}/health`)).json()) as { last_seq: number }).last_seq, { timeout: 10_000 }).toBeGreaterThan(0);

    const health = (await (await fetch(`${relay.url}/health`)).json()) as Record<string, unknown>;
    expect(Object.keys(health).sort()).toEqual(['cache', 'cache_hit_rate', 'last_seq', 'pi_connected', 'replica_lag_s', 'status'].sort());
    expect(health).toMatchObject({ status: 'ok', pi_connected: true, cache: 'healthy' });
    expect(typeof health.replica_lag_s).toBe('number');

    const res = await fetch(`${relay.url}/metrics`);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^boiler_relay_messages_total\{kind="COMMAND"\} [1-9]/m);
    expect(text).toMatch(/^boiler_relay_command_latency_seconds_count\{outcome="succeeded"\} 1$/m);
    expect(text).toMatch(/^boiler_relay_command_latency_seconds_bucket\{le="\+Inf",outcome="succeeded"\} 1$/m);
    expect(text).toMatch(/^boiler_relay_link_connected 1$/m);
    expect(text).toMatch(/^boiler_relay_link_uptime_seconds [0-9.]+$/m);
    expect(text).toMatch(/^boiler_relay_cache_hit_rate [0-9.]+$/m);
    expect(text).toMatch(/^boiler_relay_replica_lag_seconds -?[0-9.e-]+$/m);
    expect(text).toMatch(/^boiler_relay_commands\{state="succeeded"\} 1$/m);
  });
});
