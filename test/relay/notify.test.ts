import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SystemState } from '@boiler/shared';
import { startAgent, command, postCommand, getJson, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { NotifyReceivers } from '../support/notify-receivers.js';
import { startRelayInProcess } from '../support/relay-in-process.js';

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

  it('a receiver answering 500, one that never answers and a wrong SMTP password are retried, counted and shown in /health, /metrics and /api/notify; the others deliver on time; a test notice goes to its channel alone', async () => {
    const agent = await agentUp();
    rx.behaviour.set('/broken', 500);
    rx.behaviour.set('/silent', 'hang');
    const env = notifyEnv([
      { type: 'webhook', name: 'broken', url: `${rx.httpUrl}/broken`, token: { env: 'TEST_NTFY_TOKEN' } },
      { type: 'webhook', name: 'silent', url: `${rx.httpUrl}/silent` },
      { type: 'email', name: 'badpass', host: '127.0.0.1', port: rx.smtpPort, user: rx.smtpUser, password: { env: 'TEST_WRONG_PASSWORD' }, from: 'relay@example.org', to: ['owner@example.org'], ca_file: rx.caFile },
    ]);
    // Reminders an hour apart here: the counts below are of the one start notice.
    const relay = await relayUp(agent, { ...env, NOTIFY_REPEAT: '1', TEST_WRONG_PASSWORD: 'not-the-password' });
    await fault(agent, { kind: 'sensor_missing', sensor: ROOM_Z5 });
    const learned = await relayLearns(relay, 'Z5');
    await until(everyChannel('Sensor fault (Z5)'), 10_000, 'the working channels');
    for (const r of rx.titled('Sensor fault (Z5)')) expect(r.at - learned.at).toBeLessThan(5000);

    // Retried with backoff (5 s, 10 s, ...): three failures in a row make a channel "failing" in /health.
    await expect
      .poll(async () => (await getJson<{ status: string; notify: { failing: string[] } }>(relay.url, '/health')).body.notify.failing.sort(), { timeout: 45_000, interval: 500 })
      .toEqual(['badpass', 'broken']);
    expect((await getJson<{ status: string }>(relay.url, '/health')).body.status).toBe('degraded');
    // The silent receiver's first try ends at the 15 s send timeout.
    await expect
      .poll(async () => (await getJson<{ channels: { name: string; last_error: string | null }[] }>(relay.url, '/api/notify')).body.channels.find((c) => c.name === 'silent')?.last_error, { timeout: 30_000, interval: 500 })
      .toBe('no answer in time');
    const view = (await getJson<{ channels: { name: string; type: string; target: string; failures: number; last_error: string | null; pending: number; sent: number }[] }>(relay.url, '/api/notify')).body;
    const byName = new Map(view.channels.map((c) => [c.name, c]));
    expect(byName.get('broken')).toMatchObject({ type: 'webhook', pending: 1, sent: 0 });
    expect(byName.get('broken')?.failures).toBeGreaterThanOrEqual(3);
    expect(byName.get('broken')?.last_error).toContain('HTTP 500');
    expect(byName.get('badpass')?.last_error).toMatch(/EAUTH|535|Invalid/);
    expect(byName.get('silent')?.last_error).toBe('no answer in time');
    expect(byName.get('hook')).toMatchObject({ sent: 1, failures: 0, pending: 0 });
    // Secrets are masked: neither the tokens nor the passwords are anywhere in the view.
    const text = JSON.stringify(view);
    for (const secret of ['ntfy-token', 'gotify-app-token', rx.smtpPassword, 'not-the-password']) expect(text).not.toContain(secret);
    const metrics = await (await fetch(`${relay.url}/metrics`, { headers: { authorization: 'Bearer test-api-key-0123456789abcdef' } })).text();
    expect(metrics).toMatch(/boiler_relay_notify_pending\{channel="broken"\} 1/);
    expect(metrics).toMatch(/boiler_relay_notify_consecutive_failures\{channel="broken"\} [3-9]/);
    expect(metrics).toMatch(/boiler_relay_notify_sent\{channel="hook"\} 1/);

    // The settings page's button: one test notice, to the channel asked for only.
    const before = rx.received.length;
    const res = await fetch(`${relay.url}/api/notify/channels/gotify/test`, { method: 'POST', headers: { authorization: 'Bearer test-api-key-0123456789abcdef' } });
    expect(res.status).toBe(202);
    await until(() => rx.received.some((r) => r.title === 'Test notice'), 10_000, 'the test notice');
    await new Promise((r) => setTimeout(r, 500));
    expect(rx.received.slice(before).filter((r) => r.title === 'Test notice').map((r) => r.channel)).toEqual(['gotify']);
    const unknown = await fetch(`${relay.url}/api/notify/channels/nope/test`, { method: 'POST', headers: { authorization: 'Bearer test-api-key-0123456789abcdef' } });
    expect(unknown.status).toBe(404);
    expect(relay.proc.proc.exitCode).toBeNull();
  });

  it('HEARTBEAT_URL is called while the Pi is linked, not while it is away, and again once it is back', async () => {
    const agent = await agentUp();
    // The relay in this process, its heartbeat every 200 ms instead of a minute.
    const relay = await startRelayInProcess(`ws://127.0.0.1:${agent.port}/ws`, {
      env: { HEARTBEAT_URL: `${rx.httpUrl}/beat`, NOTIFY_OFFLINE_AFTER: '600' },
      link: { backoffMinMs: 50, backoffMaxMs: 200 },
      notify: { heartbeatMs: 200 },
    });
    running.push({ stop: async () => { await relay.stop(); relay.cleanup(); } });
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 20_000 }).toBe(true);
    await until(() => rx.pings.length >= 3, 5000, 'three heartbeats');
    expect(rx.pings.every((p) => p.path === '/beat')).toBe(true);

    const port = agent.port;
    await agent.stop();
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);
    const whenDown = rx.pings.length;
    await new Promise((r) => setTimeout(r, 1000));
    expect(rx.pings.length - whenDown).toBeLessThanOrEqual(1); // at most one already on its way
    const silent = rx.pings.length;

    await agentUp(agent.dir, port);
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 20_000 }).toBe(true);
    await until(() => rx.pings.length >= silent + 3, 5000, 'heartbeats again');
    expect((await getJson<{ notify: { heartbeat_failures: number } }>(relay.url, '/health')).body.notify.heartbeat_failures).toBe(0);
  });
});
