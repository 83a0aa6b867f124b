import { randomUUID } from 'node:crypto';
import type { Alert } from '@boiler/shared';
import { sourceTitle, urgencyOf, type Notice, type NoticeKind, type NoticeSource } from './notice.js';
import type { Episode, NotifyStore } from './store.js';

export interface EpisodeOptions {
  /** How long the Pi may be unlinked before "Pi offline" goes out (NOTIFY_OFFLINE_AFTER). */
  offlineAfterMs: number;
  /** Reminder period while an episode lasts unacknowledged (NOTIFY_REPEAT). */
  repeatMs: number;
  /** Freeze risk is reminded this often instead: pipes freeze in hours, not days. */
  freezeRepeatMs: number;
  /** The channels every notice goes to (names from the notifications file). */
  channels: readonly string[];
  /** What is known of a zone now ("room 18.5 °C, pipe 41.0 °C"), added to its notices; null when nothing is. */
  zoneNote?: (zone: string) => string | null;
}

const PI_OFFLINE = 'pi_offline';

/**
 * Turns what the relay sees into episodes and notices: an alert that appears opens an episode (one
 * "start" notice), a reminder goes out every repeat period while it lasts unacknowledged, and its
 * end sends one "resolved". The Pi silent for longer than the offline limit is an episode of the
 * relay's own. Every change and its notice are stored in one transaction (the store's outbox),
 * so nothing is announced twice or lost across a restart; delivery is the Deliverer's.
 */
export class EpisodeTracker {
  /** The relay's clock when the link went down; null while it is up (or before it was ever seen). */
  private linkDownSince: number | null = null;
  /** The last alert list stored (ids and acknowledgements); null before the first. */
  private lastAlerts: string | null = null;

  constructor(
    private readonly store: NotifyStore,
    private readonly options: EpisodeOptions,
    private readonly now: () => number,
    /** Called after notices were stored, to wake the deliverer. */
    private readonly enqueued: () => void = () => undefined,
  ) {}

  /** The alerts the agent reports now (the whole list, from the system state). */
  alerts(alerts: readonly Alert[]): void {
    // The system state comes with most batches; the same alerts again change nothing, so no transaction.
    const seen = alerts.map((a) => `${a.id}:${a.acknowledged ? 1 : 0}`).join(',');
    if (seen === this.lastAlerts) return;
    const now = this.now();
    let added = 0;
    this.store.transaction(() => {
      const open = new Map(this.store.episodes().filter((e) => e.key.startsWith('alert:')).map((e) => [e.key, e]));
      for (const a of alerts) {
        const key = `alert:${a.id}`;
        const ep = open.get(key);
        open.delete(key);
        if (ep === undefined) {
          // An alert first seen already acknowledged (the owner saw it in the UI before the relay
          // learned of it) still gets its one start notice, but no reminders.
          this.store.openEpisode({ key, source: a.kind, zone: a.zone, message: a.message, opened_at: now, last_notice_at: now, acknowledged: a.acknowledged });
          added += this.notice(key, 'start', a.kind, a.zone, a.message, now);
        } else if (a.acknowledged && !ep.acknowledged) {
          this.store.acknowledge(key);
        }
      }
      // What is no longer reported has ended.
      for (const ep of open.values()) {
        this.store.closeEpisode(ep.key);
        added += this.notice(ep.key, 'resolved', ep.source as NoticeSource, ep.zone, `Resolved: ${ep.message}`, now);
      }
    });
    // Only once stored: a failed write is tried again with the next system state.
    this.lastAlerts = seen;
    if (added > 0) this.enqueued();
  }

  /** The link to the Pi came up. */
  linkUp(): void {
    this.linkDownSince = null;
    const now = this.now();
    let added = 0;
    this.store.transaction(() => {
      const ep = this.store.episode(PI_OFFLINE);
      if (ep === undefined) return;
      this.store.closeEpisode(PI_OFFLINE);
      added += this.notice(PI_OFFLINE, 'resolved', 'pi_offline', null, `The Pi is linked again after ${minutes(now - ep.opened_at + this.options.offlineAfterMs)}.`, now);
    });
    if (added > 0) this.enqueued();
  }

  /** The link to the Pi went down at `since` (the relay's clock). */
  linkDown(since: number): void {
    this.linkDownSince ??= since;
    this.tick();
  }

  /** A command the queue gave up on: one notice, no episode to resolve. */
  commandDead(command: { id: string; type: string; zone: string | null; error: string | null }): void {
    const now = this.now();
    const what = `${command.type}${command.zone === null ? '' : ` for ${command.zone}`}`;
    this.store.transaction(() => {
      this.notice(`command:${command.id}`, 'start', 'command_dead', command.zone, `The command ${what} could not be delivered to the Pi${command.error === null ? '' : `: ${command.error}`}. It can be retried from the app.`, now);
    });
    this.enqueued();
  }

  /** A test notice to one channel (the settings page's button). */
  test(channel: string): Notice {
    const now = this.now();
    const n = this.make(`test:${now}`, 'test', 'test', null, 'A test notice from the boiler relay: this channel works.', now);
    this.store.transaction(() => this.store.enqueue(n, [channel]));
    this.enqueued();
    return n;
  }

  /** Reminders that fell due, and the Pi offline once it has been silent long enough. Call every few seconds. */
  tick(): void {
    const now = this.now();
    let added = 0;
    this.store.transaction(() => {
      if (this.linkDownSince !== null && now - this.linkDownSince >= this.options.offlineAfterMs && this.store.episode(PI_OFFLINE) === undefined) {
        const message = `Nothing heard from the Pi for ${minutes(now - this.linkDownSince)} (since ${new Date(this.linkDownSince).toISOString()}). The house is controlled by the Pi alone meanwhile; check its power and network.`;
        this.store.openEpisode({ key: PI_OFFLINE, source: 'pi_offline', zone: null, message, opened_at: now, last_notice_at: now });
        added += this.notice(PI_OFFLINE, 'start', 'pi_offline', null, message, now);
      }
      for (const ep of this.store.episodes()) {
        if (ep.acknowledged) continue;
        if (now - ep.last_notice_at < this.repeatFor(ep)) continue;
        this.store.reminded(ep.key, now);
        added += this.notice(ep.key, 'reminder', ep.source as NoticeSource, ep.zone, `Still: ${ep.message} (since ${new Date(ep.opened_at).toISOString()})`, now);
      }
    });
    if (added > 0) this.enqueued();
  }

  private repeatFor(ep: Episode): number {
    return ep.source === 'freeze_risk' ? this.options.freezeRepeatMs : this.options.repeatMs;
  }

  private make(episode: string, kind: NoticeKind, source: NoticeSource, zone: string | null, message: string, at: number): Notice {
    const what = sourceTitle(source);
    let note: string | null = null;
    try {
      note = zone === null || this.options.zoneNote === undefined ? null : this.options.zoneNote(zone);
    } catch {
      // The replica unreadable for a moment: the notice goes without the readings.
    }
    if (note !== null) message = `${message} (${zone} now: ${note})`;
    const title = kind === 'resolved' ? `Resolved: ${what}` : kind === 'reminder' ? `Reminder: ${what}` : what;
    return {
      id: randomUUID(),
      episode,
      kind,
      source,
      zone,
      title: zone === null || kind === 'test' ? title : `${title} (${zone})`,
      message: message.slice(0, 1000),
      urgency: urgencyOf(kind, source),
      at,
    };
  }

  /** Stores one notice for every channel (inside the caller's transaction); returns 1. */
  private notice(episode: string, kind: NoticeKind, source: NoticeSource, zone: string | null, message: string, at: number): number {
    this.store.enqueue(this.make(episode, kind, source, zone, message, at), this.options.channels);
    return 1;
  }
}

function minutes(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m < 120 ? `${m} min` : `${(m / 60).toFixed(1)} h`;
}
