import { describe, it, expect, afterAll } from 'vitest';
import type { SystemState } from '@boiler/shared';
import { startAgent, getJson, command, postCommand, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { expectSameEvents, expectSameZones } from '../support/compare.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

describe('agent and relay side by side', () => {
  it('after 10 simulated minutes the replica equals the agent, event by event and zone by zone', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    // A preset and a zone's own week, so the relay has settings to mirror beyond the defaults.
    const week = (await getJson<{ schedules: { zone: string; schedule: unknown }[] }>(agent.url, '/api/schedules')).body.schedules[0]!.schedule;
    expect((await postCommand(agent.url, command({ type: 'preset_save', name: 'Ski week', schedule: week as never }))).status).toBe(200);
    expect((await postCommand(agent.url, command({ type: 'schedule_set', zone: 'Z3', schedule: week as never }))).status).toBe(200);
    const start = (await getJson<SystemState>(agent.url, '/api/system')).body.updated_at;
    await expect.poll(async () => (await getJson<SystemState>(agent!.url, '/api/system')).body.updated_at - start, { timeout: 30_000, interval: 500 }).toBeGreaterThan(10 * 60_000);
    // While running, heartbeats find the replica's state digest equal to the agent's.
    await expect.poll(async () => (await linkView(relay!.url)).link.lastHeartbeat?.digest_match, { timeout: 10_000 }).toBe(true);

    const agentSchedules = (await getJson<{ schedules: unknown[] }>(agent.url, '/api/schedules')).body.schedules;
    const agentPresets = (await getJson(agent.url, '/api/presets')).body;
    // A graceful stop sends the relay everything, then a last heartbeat, before the link closes.
    await agent.stop();
    await expect.poll(async () => (await linkView(relay!.url)).connected, { timeout: 10_000 }).toBe(false);
    const view = await linkView(relay.url);
    expect(view.link.lastHeartbeat?.digest_match).toBe(true);
    const n = expectSameEvents(agent.dbPath, relay.dbPath);
    expect(n).toBeGreaterThan(14 * 10); // a SAMPLE a zone a minute, plus switching
    expect(view.applied_seq).toBe(n);
    expectSameZones(agent.dbPath, relay.dbPath);
    expect(view.link.badFrames).toBe(0);
    // Schedules and presets: the relay answers in the agent's shapes, with the agent's content.
    const relaySchedules = (await getJson<{ schedules: { zone: string }[] }>(relay.url, '/api/schedules')).body.schedules;
    expect(relaySchedules.map((x) => x.zone)).toEqual(['default', 'Z3', 'Z14']);
    expect(relaySchedules).toEqual(agentSchedules);
    expect((await getJson(relay.url, '/api/presets')).body).toEqual(agentPresets);
    expect((await getJson<{ presets: { name: string }[] }>(relay.url, '/api/presets')).body.presets.map((p) => p.name)).toEqual(['Ski week']);
  });
});
