import type { Logger } from 'pino';
import type { ResolvedChannel } from './config.js';
import type { Notice } from './notice.js';
import type { NotifyStore } from './store.js';
import { SendError } from './channels.js';

export interface DelivererOptions {
  /** First retry after this long; doubled each failure (with jitter) up to `retryMaxMs`. */
  retryMinMs: number;
  retryMaxMs: number;
  /** A notice not delivered after this long is given up (and counted): a day-old alert helps nobody. */
  expireAfterMs: number;
  /** A send with no answer for this long counts as failed. */
  sendTimeoutMs: number;
}

export const DEFAULT_DELIVERER_OPTIONS: DelivererOptions = {
  retryMinMs: 5_000,
  retryMaxMs: 15 * 60_000,
  expireAfterMs: 24 * 3_600_000,
  sendTimeoutMs: 15_000,
};

export type Send = (channel: ResolvedChannel, notice: Notice, signal: AbortSignal) => Promise<void>;

/** What /health, /metrics and the settings page show of a channel. */
export interface ChannelStatus {
  name: string;
  sent: number;
  failures: number;
  /** Failures since the last success: a channel that keeps failing shows here. */
  consecutive_failures: number;
  last_error: string | null;
  last_success_at: number | null;
  pending: number;
  expired: number;
}

/**
 * Delivers the outbox: each channel on its own loop, one notice in flight per channel, oldest due
 * first, so a channel that fails or hangs (bounded by the send timeout) holds up only itself. A
 * failure is retried with exponential backoff and jitter until the notice expires; each try is
 * counted. Sent is recorded after the receiver accepted it: a crash in between sends it again,
 * with the same id (at least once, deduped by receivers that honour the id).
 */
export class Deliverer {
  private readonly loops = new Map<string, { timer: NodeJS.Timeout | null; busy: boolean; status: ChannelStatus }>();
  private stopped = true;
  private readonly inFlight = new Set<AbortController>();

  constructor(
    private readonly store: NotifyStore,
    private readonly channels: readonly ResolvedChannel[],
    private readonly send: Send,
    private readonly log: Logger,
    private readonly options: DelivererOptions = DEFAULT_DELIVERER_OPTIONS,
    private readonly now: () => number = Date.now,
    private readonly random: () => number = Math.random,
  ) {
    for (const c of channels) {
      this.loops.set(c.name, { timer: null, busy: false, status: { name: c.name, sent: 0, failures: 0, consecutive_failures: 0, last_error: null, last_success_at: null, pending: 0, expired: 0 } });
    }
  }

  start(): void {
    this.stopped = false;
    this.wake();
  }

  stop(): void {
    this.stopped = true;
    for (const l of this.loops.values()) if (l.timer !== null) clearTimeout(l.timer);
    for (const a of this.inFlight) a.abort();
  }

  /** Something was enqueued: every idle channel looks at its outbox now. */
  wake(): void {
    if (this.stopped) return;
    for (const c of this.channels) void this.pump(c);
  }

  status(): ChannelStatus[] {
    const counts = this.store.counts();
    return [...this.loops.values()].map((l) => ({ ...l.status, pending: counts.get(l.status.name)?.pending ?? 0, expired: counts.get(l.status.name)?.expired ?? 0 }));
  }

  private async pump(channel: ResolvedChannel): Promise<void> {
    const loop = this.loops.get(channel.name);
    if (loop === undefined || loop.busy || this.stopped) return;
    loop.busy = true;
    if (loop.timer !== null) clearTimeout(loop.timer);
    loop.timer = null;
    try {
      for (;;) {
        if (this.stopped) return;
        const now = this.now();
        const due = this.store.nextDue(channel.name, now);
        if (!('rowid' in due)) {
          if (due.waitUntil !== null) loop.timer = setTimeout(() => void this.pump(channel), Math.max(10, due.waitUntil - now));
          return;
        }
        const abort = new AbortController();
        this.inFlight.add(abort);
        const timer = setTimeout(() => abort.abort(), this.options.sendTimeoutMs);
        try {
          await this.send(channel, due.notice, abort.signal);
          this.store.markSent(due.rowid, this.now());
          loop.status.sent++;
          loop.status.consecutive_failures = 0;
          loop.status.last_success_at = this.now();
          this.log.info({ channel: channel.name, notice: due.notice.id, kind: due.notice.kind, source: due.notice.source, attempts: due.attempts + 1 }, 'notice sent');
        } catch (err) {
          if (this.stopped) return;
          const reason = err instanceof SendError ? err.message : `unexpected: ${String(err).slice(0, 200)}`;
          const at = this.now();
          const attempt = due.attempts + 1;
          const base = Math.min(this.options.retryMaxMs, this.options.retryMinMs * 2 ** (attempt - 1));
          const next = at + base / 2 + this.random() * (base / 2);
          const expired = next - due.created_at > this.options.expireAfterMs;
          this.store.markFailed(due.rowid, reason, expired ? null : Math.round(next));
          loop.status.failures++;
          loop.status.consecutive_failures++;
          loop.status.last_error = reason;
          if (expired) this.log.error({ channel: channel.name, notice: due.notice.id, attempts: attempt, reason }, 'notice given up: not delivered in time');
          else this.log.warn({ channel: channel.name, notice: due.notice.id, attempts: attempt, reason, retry_in_ms: Math.round(next - at) }, 'notice not delivered; will retry');
        } finally {
          clearTimeout(timer);
          this.inFlight.delete(abort);
        }
      }
    } catch (err) {
      // The store failed (disk full, a damaged file): said, and tried again later, never thrown.
      this.log.error({ err, channel: channel.name }, 'notifications outbox unreadable; retrying in a minute');
      if (!this.stopped) loop.timer = setTimeout(() => void this.pump(channel), 60_000);
    } finally {
      loop.busy = false;
    }
  }
}
