import { describe, it, expect, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import type { LiveServerMessage, WeeklySchedule } from '@boiler/shared';
import { startAgent, getJson, command, postCommand, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { LiveClient, postRelayCommand } from '../support/live-client.js';

// A schedule or preset changed by any app (or on the Pi's own API) reaches every UI on the live
// socket, whole, as the replica now holds it: a kiosk on the wall shows it without a reload.

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
let live: LiveClient | undefined;
afterAll(async () => {
  live?.close();
  await stopAndCleanUp(relay, agent);
});

type Settings = Extract<LiveServerMessage, { type: 'settings' }>['settings'];
const settingsOf = (m: LiveServerMessage): Settings | null => (m.type === 'settings' ? m.settings : null);

describe('schedules and presets on the live socket', () => {
  it('pushes the settings after a change on the Pi’s own API and after one through the relay, equal to what the relay then answers', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '1', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
    await expect.poll(async () => (await linkView(relay!.url)).connected, { timeout: 10_000 }).toBe(true);
    live = await LiveClient.open(relay.url);

    // A week for Z4 of its own, set on the agent directly: the relay's queue never sees this command.
    const week = (await getJson<{ schedules: { zone: string; schedule: WeeklySchedule }[] }>(agent.url, '/api/schedules')).body.schedules[0]!.schedule;
    const early: WeeklySchedule = { ...week, mon: [{ at: '05:15', setpoint_c: 21.5 }, { at: '22:00', setpoint_c: 17 }] };
    expect((await postCommand(agent.url, command({ type: 'schedule_set', zone: 'Z4', schedule: early }))).status).toBe(200);
    const pushed = settingsOf(await live.waitFor((m) => settingsOf(m)?.zone_schedules.some((z) => z.zone === 'Z4') === true));
    expect(pushed?.zone_schedules.find((z) => z.zone === 'Z4')?.schedule).toEqual(early);
    const relaySchedules = (await getJson<{ schedules: { zone: string; schedule: WeeklySchedule }[] }>(relay.url, '/api/schedules')).body.schedules;
    expect(relaySchedules).toEqual([{ zone: 'default', schedule: pushed?.default_schedule }, ...(pushed?.zone_schedules ?? [])]);

    // A preset saved through the relay, as the schedule page does.
    const id = randomUUID();
    expect((await postRelayCommand(relay.url, { id, body: { type: 'preset_save', name: 'Early Mondays', schedule: early } })).status).toBe(202);
    const withPreset = settingsOf(await live.waitFor((m) => settingsOf(m)?.presets.some((p) => p.name === 'Early Mondays') === true));
    expect(withPreset?.presets.find((p) => p.name === 'Early Mondays')?.schedule).toEqual(early);
    expect((await getJson<{ presets: unknown[] }>(relay.url, '/api/presets')).body.presets).toEqual(withPreset?.presets);
  });
});
