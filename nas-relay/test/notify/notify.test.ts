import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Alert } from '@boiler/shared';
import { ConfigError } from '@boiler/shared';
import { createLogger } from '@boiler/service';
import { NotifyReceivers } from '../../../test/support/notify-receivers.js';
import { resolveNotifyFile, describeChannel, type ResolvedChannel } from '../../src/notify/config.js';
import { NotifyStore, notifyFileBeside } from '../../src/notify/store.js';
import { EpisodeTracker } from '../../src/notify/episodes.js';
import { Deliverer, type DelivererOptions } from '../../src/notify/deliverer.js';
import { sendNotice } from '../../src/notify/channels.js';

// The notifier against real receivers on 127.0.0.1 (test/support/notify-receivers.ts): small HTTP
// stand-ins for ntfy, Gotify and a webhook that record what they were sent, and a real SMTP server
// (smtp-server) that requires STARTTLS and a password. The outbox is a real SQLite file.

const log = createLogger({ name: 'notify-test', level: 'silent' });
const dir = mkdtempSync(join(tmpdir(), 'boiler-notify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rx = new NotifyReceivers(dir);
const received = rx.received;
const behaviour = rx.behaviour;
beforeAll(async () => {
  await rx.start();
});
afterAll(() => rx.stop());
afterEach(() => rx.reset());
const SMTP_PASSWORD = rx.smtpPassword;

function channels(extra: Record<string, unknown>[] = []): ResolvedChannel[] {
  return resolveNotifyFile({ channels: [...rx.channelEntries(), ...extra] }, dir, rx.secretEnv());
}

const FAST: DelivererOptions = { retryMinMs: 100, retryMaxMs: 400, expireAfterMs: 60_000, sendTimeoutMs: 500 };

function setup(name: string, chans: ResolvedChannel[], options: Partial<{ repeatMs: number; offlineAfterMs: number }> = {}) {
  const store = NotifyStore.open(join(dir, `${name}.db`));
  const deliverer = new Deliverer(store, chans, sendNotice, log, FAST);
  const tracker = new EpisodeTracker(store, { repeatMs: options.repeatMs ?? 60_000, freezeRepeatMs: options.repeatMs ?? 60_000, offlineAfterMs: options.offlineAfterMs ?? 60_000, channels: chans.map((c) => c.name) }, Date.now, () => deliverer.wake());
  deliverer.start();
  return {
    store,
    deliverer,
    tracker,
    close() {
      deliverer.stop();
      store.close();
    },
  };
}

async function until(pred: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; received: ${JSON.stringify(received.map((r) => [r.channel, r.title]))}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const CHANNELS = rx.channelNames;
const titled = (t: string) => rx.titled(t);

function sensorFault(acknowledged = false): Alert {
  return { id: 'sensor-Z3', kind: 'sensor_fault', zone: 'Z3', message: 'Z3 room sensor: no reading for 120 s (last 18.5 °C)', raised_at: Date.now(), acknowledged };
}

describe('the notifications file', () => {
  it('reports every problem at once, names each secret it cannot read, and never the secrets it can', () => {
    let problems: readonly string[] = [];
    try {
      resolveNotifyFile(
        {
          channels: [
            { type: 'ntfy', name: 'a', url: 'ftp://x', topic: 'bad topic!' },
            { type: 'webhook', name: 'b', url: 'https://example.org/h' },
            { type: 'email', name: 'm', host: 'smtp', from: 'not-an-address', to: [] },
            { type: 'pager', name: 'p' },
          ],
        },
        dir,
        {},
      );
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      problems = (err as ConfigError).problems;
    }
    const text = problems.join('\n');
    expect(text).toContain('channels[0].url');
    expect(text).toContain('channels[0].topic');
    // Names checked across channels once each channel's shape is right.
    expect(() => resolveNotifyFile({ channels: [{ type: 'webhook', name: 'a', url: 'https://example.org/1' }, { type: 'webhook', name: 'a', url: 'https://example.org/2' }] }, dir, {})).toThrow('"a" is used by another channel');
    expect(text).toContain('channels[2].from');
    expect(text).toContain('channels[2].to');
    expect(text).toContain('channels[3]');

    let secrets: readonly string[] = [];
    try {
      resolveNotifyFile({ channels: [{ type: 'gotify', name: 'g', url: 'https://g.example.org', token: { file: 'missing-token' } }, { type: 'ntfy', name: 'n', url: 'https://ntfy.sh', topic: 't', token: { env: 'UNSET_TOKEN_VAR' } }] }, dir, {});
    } catch (err) {
      secrets = (err as ConfigError).problems;
    }
    expect(secrets).toHaveLength(2);
    expect(secrets[0]).toMatch(/channels\[0\] \(g\)\.token: cannot read .*missing-token \(ENOENT\)/);
    expect(secrets[1]).toContain('UNSET_TOKEN_VAR is not set');

    const shown = channels().map(describeChannel);
    expect(JSON.stringify(shown)).not.toContain('gotify-app-token');
    expect(JSON.stringify(shown)).not.toContain(SMTP_PASSWORD);
    expect(shown.find((c) => c.name === 'ntfy')).toMatchObject({ type: 'ntfy', target: `${rx.httpUrl}/boiler`, secret: true });
  });

  it('keeps its outbox in a file beside the replica', () => {
    expect(notifyFileBeside('/data/relay.db')).toBe('/data/relay-notify.db');
  });
});

describe('an alert is an episode, told through every channel', () => {
  it('start once on each channel with the zone and the reading, a reminder after the repeat time, none once acknowledged, and one resolved', async () => {
    const n = setup('episode', channels(), { repeatMs: 400 });
    try {
      const t0 = Date.now();
      n.tracker.alerts([sensorFault()]);
      await until(() => titled('Sensor fault (Z3)').filter((r) => !r.title.includes('Reminder')).length === 4, 5000, 'the start notice on every channel');
      const starts = titled('Sensor fault (Z3)');
      expect(starts.map((r) => r.channel).sort()).toEqual([...CHANNELS].sort());
      expect(Date.now() - t0).toBeLessThan(5000);
      // One notice, one id, on every channel; the reading is in its text.
      expect(new Set(starts.map((r) => r.id)).size).toBe(1);
      for (const r of starts) expect(r.text).toContain('last 18.5 °C');
      expect(received.find((r) => r.channel === 'ntfy')?.headers.authorization).toBe('Bearer ntfy-token');
      expect(received.find((r) => r.channel === 'gotify')?.headers['x-gotify-key']).toBe('gotify-app-token');
      // The same alert reported again is the same episode: nothing new.
      n.tracker.alerts([sensorFault()]);

      await new Promise((r) => setTimeout(r, 450));
      n.tracker.tick();
      await until(() => titled('Reminder: Sensor fault').length === 4, 5000, 'a reminder on every channel');
      expect(new Set(titled('Reminder').map((r) => r.id)).size).toBe(1);
      expect(titled('Reminder')[0]?.id).not.toBe(starts[0]?.id);

      // Acknowledged in the UI: no more reminders, however long it lasts.
      n.tracker.alerts([sensorFault(true)]);
      await new Promise((r) => setTimeout(r, 450));
      n.tracker.tick();
      await new Promise((r) => setTimeout(r, 300));
      expect(titled('Reminder').length).toBe(4);

      n.tracker.alerts([]);
      await until(() => titled('Resolved: Sensor fault (Z3)').length === 4, 5000, 'the resolved notice on every channel');
      await new Promise((r) => setTimeout(r, 200));
      expect(received.length).toBe(12); // start, one reminder, resolved: on each of four channels, once
      expect(n.store.episodes()).toEqual([]);
    } finally {
      n.close();
    }
  });

  it('the Pi offline longer than the limit: one notice, and "resolved" when it is back', async () => {
    const n = setup('offline', channels(), { offlineAfterMs: 300, repeatMs: 60_000 });
    try {
      n.tracker.linkDown(Date.now());
      n.tracker.tick();
      await new Promise((r) => setTimeout(r, 200));
      expect(received.length).toBe(0); // not yet: a short drop is not worth a phone call
      await new Promise((r) => setTimeout(r, 150));
      n.tracker.tick();
      n.tracker.tick();
      await until(() => titled('Pi offline').length === 4, 5000, 'Pi offline on every channel');
      n.tracker.linkUp();
      await until(() => titled('Resolved: Pi offline').length === 4, 5000, 'resolved on every channel');
      await new Promise((r) => setTimeout(r, 200));
      expect(titled('Pi offline').length).toBe(8);
    } finally {
      n.close();
    }
  });
});

describe('delivery', () => {
  it('a receiver answering 500, one that never answers and a wrong SMTP password are retried, counted and reported; the others deliver on time', async () => {
    behaviour.set('/broken', 500);
    behaviour.set('/silent', 'hang');
    const chans = channels([
      { type: 'webhook', name: 'broken', url: `${rx.httpUrl}/broken` },
      { type: 'webhook', name: 'silent', url: `${rx.httpUrl}/silent` },
      { type: 'email', name: 'badpass', host: '127.0.0.1', port: rx.smtpPort, user: 'owner', password: { env: 'TEST_SMTP_PASSWORD' }, from: 'relay@example.org', to: ['owner@example.org'], ca_file: rx.caFile },
    ]).map((c) => (c.name === 'badpass' ? { ...c, secrets: { ...c.secrets, password: 'not-the-password' } } : c));
    const n = setup('failing', chans);
    try {
      const t0 = Date.now();
      n.tracker.alerts([{ ...sensorFault(), id: 'freeze-Z1', kind: 'freeze_risk', zone: 'Z1', message: 'Z1 at 4.5 °C' }]);
      await until(() => titled('Freeze risk (Z1)').length === 4, 5000, 'the working channels');
      expect(Date.now() - t0).toBeLessThan(5000);
      // Each failing channel is tried again and again (backoff 100-400 ms; a hang ends after 500 ms).
      await until(() => n.deliverer.status().filter((s) => ['broken', 'silent', 'badpass'].includes(s.name)).every((s) => s.failures >= 2), 10_000, 'two failures each');
      const byName = new Map(n.deliverer.status().map((s) => [s.name, s]));
      expect(byName.get('broken')?.last_error).toContain('HTTP 500');
      expect(byName.get('silent')?.last_error).toBe('no answer in time');
      expect(byName.get('badpass')?.last_error).toMatch(/EAUTH|535|Invalid/);
      expect(byName.get('broken')?.pending).toBe(1);
      expect(byName.get('hook')).toMatchObject({ sent: 1, failures: 0, consecutive_failures: 0, pending: 0 });
      const rows = n.store.deliveries().filter((d) => d.channel === 'broken');
      expect(rows[0]?.attempts).toBeGreaterThanOrEqual(2);
      // The broken receiver mends: the waiting notice goes, once.
      behaviour.delete('/broken');
      await until(() => received.some((r) => r.channel === 'broken'), 5000, 'the mended receiver');
      await new Promise((r) => setTimeout(r, 500));
      expect(received.filter((r) => r.channel === 'broken')).toHaveLength(1);
    } finally {
      n.close();
    }
  });

  it('notices waiting while a channel is down survive a restart and arrive exactly once when it returns', async () => {
    behaviour.set('/hook', 503);
    const first = setup('restart', channels());
    first.tracker.alerts([sensorFault()]);
    first.tracker.commandDead({ id: 'c1', type: 'setpoint', zone: 'Z2', error: 'the Pi did not answer (3 attempts)' });
    await until(() => titled('Command not delivered (Z2)').length === 3, 5000, 'the other channels');
    first.close(); // the relay goes down with the hook's two notices pending

    behaviour.delete('/hook');
    const again = setup('restart', channels());
    try {
      await until(() => received.filter((r) => r.channel === 'hook').length === 2, 5000, 'the pending notices after the restart');
      await new Promise((r) => setTimeout(r, 300));
      const perChannel = (c: string) => received.filter((r) => r.channel === c).map((r) => r.title).sort();
      for (const c of CHANNELS) expect(perChannel(c), c).toEqual(['Command not delivered (Z2)', 'Sensor fault (Z3)']);
      // The same ids everywhere: a notice is one notice, whichever channel and however many tries.
      const ids = (t: string) => new Set(titled(t).map((r) => r.id));
      expect(ids('Sensor fault').size).toBe(1);
      expect(ids('Command not delivered').size).toBe(1);
    } finally {
      again.close();
    }
  });
});

