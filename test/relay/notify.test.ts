import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SystemState } from '@boiler/shared';
import { startAgent, command, postCommand, getJson, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { NotifyReceivers } from '../support/notify-receivers.js';

// Issue 16's Must show 1 to 3 on real processes: an agent on the simulator, a relay with a
// notifications file naming real receivers on 127.0.0.1 (ntfy, Gotify and webhook stand-ins, an
// SMTP server with STARTTLS and a password). Reminders every 3.6 s (NOTIFY_REPEAT 0.001 h), the
// Pi offline after 2 s.

const dir = mkdtempSync(join(tmpdir(), 'boiler-notify-e2e-'));
const rx = new NotifyReceivers(dir);
const running: { stop(): Promise<void> }[] = [];
beforeAll(async () => {
  await rx.start();
});
afterAll(async () => {
  await rx.stop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  for (const p of running.splice(0).reverse()) await p.stop();
  rx.reset();
});

const REPEAT_H = 0.001;
const ROOM_Z5 = '28-000000000005';

function notifyEnv(extra: Record<string, unknown>[] = []): Record<string, string> {
  const file = join(dir, 'notify.json');
  writeFileSync(file, JSON.stringify({ channels: [...rx.channelEntries(), ...extra] }));
  return { NOTIFY_FILE: file, NOTIFY_REPEAT: String(REPEAT_H), NOTIFY_OFFLINE_AFTER: '2', ...rx.secretEnv() };
}

async function agentUp(dir?: string, port?: number): Promise<AgentUnderTest> {
  const a = await startAgent({ ...(dir === undefined ? {} : { dir }), env: { SIM_SPEED: '10', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1', ...(port === undefined ? {} : { WS_PORT: String(port) }) } });
  running.push(a);
  return a;
}

async function relayUp(agent: AgentUnderTest, env: Record<string, string>, relayDir?: string): Promise<RelayUnderTest> {
  const r = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env, ...(relayDir === undefined ? {} : { dir: relayDir }) });
  running.push(r);
  await expect.poll(async () => (await linkView(r.url)).connected, { timeout: 20_000 }).toBe(true);
  return r;
}

async function fault(agent: AgentUnderTest, body: Record<string, unknown> | null): Promise<void> {
  const res = await fetch(`${agent.url}/api/sim/faults`, {
    method: body === null ? 'DELETE' : 'POST',
    headers: { authorization: 'Bearer test-api-key-0123456789abcdef', ...(body === null ? {} : { 'content-type': 'application/json' }) },
    ...(body === null ? {} : { body: JSON.stringify(body) }),
  });
  expect(res.status).toBe(200);
}

/** When the relay first serves an alert of this kind for this zone (polled every 50 ms). */
async function relayLearns(relay: RelayUnderTest, zone: string): Promise<{ at: number; id: string }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const system = (await getJson<SystemState>(relay.url, '/api/system')).body;
    const alert = system.alerts.find((a) => a.kind === 'sensor_fault' && a.zone === zone);
    if (alert !== undefined) return { at: Date.now(), id: alert.id };
    if (Date.now() > deadline) throw new Error('the relay never served the sensor fault');
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(rx.received.map((r) => [r.channel, r.title]))}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const everyChannel = (title: string) => () => rx.channelNames.every((c) => rx.received.some((r) => r.channel === c && r.title === title));

describe('notifications from a real relay', () => {
  it('a sensor fault reaches every channel within 5 s with its zone and reading; a reminder, then resolved; acknowledged, no reminders; the Pi offline once, then resolved', async () => {
    const agent = await agentUp();
    const relay = await relayUp(agent, notifyEnv());
    expect(relay.proc.lines.find((l) => l.msg === 'notifications on')?.channels).toHaveLength(4);

    // ---- a sensor fault: one start notice per channel, soon after the relay learns of it ----
    await fault(agent, { kind: 'sensor_missing', sensor: ROOM_Z5 });
    const learned = await relayLearns(relay, 'Z5');
    await until(everyChannel('Sensor fault (Z5)'), 10_000, 'the start notice on every channel');
    const starts = rx.received.filter((r) => r.title === 'Sensor fault (Z5)');
    expect(starts.map((r) => r.channel).sort()).toEqual([...rx.channelNames].sort());
    for (const r of starts) {
      expect(r.at - learned.at, `${r.channel} ${r.at - learned.at} ms after the relay learned of it`).toBeLessThan(5000);
      expect(r.text).toContain('Z5');
      expect(r.text).toMatch(/room (no reading|-?\d+\.\d °C)/); // the zone's readings as the relay has them
    }
    expect(new Set(starts.map((r) => r.id)).size).toBe(1);

    // ---- a reminder after the repeat time, then resolved when the sensor is back ----
    await until(everyChannel('Reminder: Sensor fault (Z5)'), 15_000, 'a reminder on every channel');
    await fault(agent, null);
    await until(everyChannel('Resolved: Sensor fault (Z5)'), 20_000, 'resolved on every channel');
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of rx.channelNames) {
      expect(rx.received.filter((r) => r.channel === c && r.title === 'Sensor fault (Z5)'), c).toHaveLength(1);
      expect(rx.received.filter((r) => r.channel === c && r.title === 'Resolved: Sensor fault (Z5)'), c).toHaveLength(1);
    }

    // ---- a new episode, acknowledged at once: its start notice, then no reminders ----
    rx.reset();
    await fault(agent, { kind: 'sensor_missing', sensor: ROOM_Z5 });
    const again = await relayLearns(relay, 'Z5');
    await until(everyChannel('Sensor fault (Z5)'), 10_000, 'the second start notice');
    const ack = command({ type: 'alert_ack', alert_id: again.id });
    expect((await postCommand(relay.url, ack)).status).toBe(202);
    await expect.poll(async () => (await getJson<{ state: string }>(relay.url, `/api/commands/${ack.id}`)).body.state, { timeout: 15_000 }).toBe('succeeded');
    await expect.poll(async () => (await getJson<SystemState>(relay.url, '/api/system')).body.alerts.find((a) => a.id === again.id)?.acknowledged, { timeout: 15_000 }).toBe(true);
    const remindersBefore = rx.titled('Reminder').length;
    await new Promise((r) => setTimeout(r, 2.5 * REPEAT_H * 3_600_000)); // two and a half repeat periods
    expect(rx.titled('Reminder').length).toBe(remindersBefore);
    expect(remindersBefore).toBeLessThanOrEqual(4); // at most the one that may have gone before the ack landed
    await fault(agent, null);
    await until(everyChannel('Resolved: Sensor fault (Z5)'), 20_000, 'the acknowledged episode resolved');

    // ---- the Pi silent past NOTIFY_OFFLINE_AFTER: "Pi offline" once, "resolved" when back ----
    rx.reset();
    const port = agent.port;
    await agent.stop();
    await until(everyChannel('Pi offline'), 20_000, 'Pi offline on every channel');
    const restarted = await agentUp(agent.dir, port);
    await until(everyChannel('Resolved: Pi offline'), 30_000, 'the Pi back');
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of rx.channelNames) expect(rx.received.filter((r) => r.channel === c && r.title === 'Pi offline'), c).toHaveLength(1);
    expect(restarted.proc.proc.exitCode).toBeNull();
  });

  it('a relay killed with SIGKILL while notices wait on a channel that is down: after the restart and the channel back, each arrives exactly once', async () => {
    const agent = await agentUp();
    rx.behaviour.set('/hook', 503);
    const env = notifyEnv();
    const relay = await relayUp(agent, env);
    await fault(agent, { kind: 'sensor_missing', sensor: ROOM_Z5 });
    await until(() => rx.channelNames.filter((c) => c !== 'hook').every((c) => rx.received.some((r) => r.channel === c && r.title === 'Sensor fault (Z5)')), 15_000, 'the working channels');
    // The hook has refused at least once, so its notice waits in the outbox.
    await relay.proc.waitForLog((l) => l.msg === 'notice not delivered; will retry' && l.channel === 'hook', 15_000);
    relay.proc.proc.kill('SIGKILL');
    await relay.proc.exited;

    rx.behaviour.delete('/hook');
    const again = await relayUp(agent, env, relay.dir);
    await until(() => rx.received.some((r) => r.channel === 'hook' && r.title === 'Sensor fault (Z5)'), 30_000, 'the waiting notice after the restart');
    await fault(agent, null);
    await until(everyChannel('Resolved: Sensor fault (Z5)'), 20_000, 'resolved everywhere');
    await new Promise((r) => setTimeout(r, 1000));
    for (const c of rx.channelNames) {
      expect(rx.received.filter((r) => r.channel === c && r.title === 'Sensor fault (Z5)'), c).toHaveLength(1);
      expect(rx.received.filter((r) => r.channel === c && r.title === 'Resolved: Sensor fault (Z5)'), c).toHaveLength(1);
    }
    expect(again.proc.proc.exitCode).toBeNull();
  });
});
