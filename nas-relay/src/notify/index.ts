import type { Logger } from 'pino';
import type { AgentLink } from '../link/agent-link.js';
import type { CommandQueue } from '../queue/index.js';
import { describeChannel, type ResolvedChannel } from './config.js';
import { Deliverer, DEFAULT_DELIVERER_OPTIONS, type ChannelStatus, type DelivererOptions, type Send } from './deliverer.js';
import { EpisodeTracker } from './episodes.js';
import { sendNotice } from './channels.js';
import { NotifyStore, notifyFileBeside } from './store.js';
import type { Notice } from './notice.js';

export { loadNotifyFile, resolveNotifyFile, describeChannel, type ResolvedChannel, type ChannelConfig } from './config.js';
export { notifyFileBeside } from './store.js';
export type { ChannelStatus } from './deliverer.js';
export type { Notice } from './notice.js';

export interface NotifierOptions {
  /** The relay's replica file: the outbox goes beside it. */
  dbPath: string;
  channels: readonly ResolvedChannel[];
  offlineAfterMs: number;
  repeatMs: number;
  /** HEARTBEAT_URL: called every `heartbeatMs` while the Pi is linked (a dead man's switch for the relay itself). */
  heartbeatUrl?: string | undefined;
  heartbeatMs?: number;
  /** How often reminders and the offline limit are looked at. */
  tickMs?: number;
  delivery?: Partial<DelivererOptions>;
  send?: Send;
  /** What is known of a zone now, for its notices (the replica's last readings). */
  zoneNote?: (zone: string) => string | null;
}

/** What the API shows of a channel: where it goes (secrets masked) and how delivery is going. */
export type ChannelView = ReturnType<typeof describeChannel> & Omit<ChannelStatus, 'name'>;

/**
 * The relay's notifications: episodes from the agent's alerts, the link and the queue, a durable
 * outbox, and a deliverer per channel. Listens to the link and the queue it is given; owns its
 * own file (relay-notify.db) and its timers.
 */
export class Notifier {
  readonly store: NotifyStore;
  readonly tracker: EpisodeTracker;
  private readonly deliverer: Deliverer;
  private readonly unsubscribe: (() => void)[] = [];
  private tickTimer: NodeJS.Timeout | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private heartbeatFailures = 0;

  constructor(
    private readonly options: NotifierOptions,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.store = NotifyStore.open(notifyFileBeside(options.dbPath));
    this.deliverer = new Deliverer(this.store, options.channels, options.send ?? sendNotice, log, { ...DEFAULT_DELIVERER_OPTIONS, ...options.delivery }, now);
    this.tracker = new EpisodeTracker(
      this.store,
      {
        offlineAfterMs: options.offlineAfterMs,
        repeatMs: options.repeatMs,
        // Pipes freeze in hours: freeze risk is reminded four times as often.
        freezeRepeatMs: Math.max(1000, options.repeatMs / 4),
        channels: options.channels.map((c) => c.name),
        ...(options.zoneNote === undefined ? {} : { zoneNote: options.zoneNote }),
      },
      now,
      () => this.deliverer.wake(),
    );
  }

  /** Starts listening and delivering. The link counts as down from now until it first opens. */
  start(link: AgentLink, queue: CommandQueue): void {
    this.guard('starting', () => {
      if (!link.connected) this.tracker.linkDown(this.now());
    });
    this.unsubscribe.push(
      link.listen({
        system: (system) => this.guard('reading the alerts', () => this.tracker.alerts(system.alerts)),
        connected: () => {
          this.guard('the link coming up', () => this.tracker.linkUp());
          this.startHeartbeat(link);
        },
        disconnected: () => {
          this.guard('the link going down', () => this.tracker.linkDown(this.now()));
          this.stopHeartbeat();
        },
      }),
      queue.listen({
        finished: (command) => {
          if (command.state !== 'dead') return;
          const body = command.body as { type: string; zone?: string };
          this.guard('a dead command', () =>
            this.tracker.commandDead({ id: command.id, type: body.type, zone: body.zone ?? null, error: command.last_error === null ? null : command.last_error.message }),
          );
        },
      }),
    );
    // Every 5 s, or more often when a limit is shorter (a test's seconds-long repeat): a notice is late by at most a tick.
    const tickMs = this.options.tickMs ?? Math.max(250, Math.min(5000, this.options.repeatMs / 4, this.options.offlineAfterMs / 4));
    this.tickTimer = setInterval(() => this.guard('the reminder tick', () => this.tracker.tick()), tickMs);
    this.tickTimer.unref();
    this.deliverer.start();
    if (link.connected) this.startHeartbeat(link);
  }

  stop(): void {
    for (const u of this.unsubscribe.splice(0)) u();
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    this.stopHeartbeat();
    this.deliverer.stop();
    this.store.close();
  }

  channels(): ChannelView[] {
    const status = new Map(this.deliverer.status().map((s) => [s.name, s]));
    return this.options.channels.map((c) => {
      const { name: _name, ...s } = status.get(c.name) ?? { name: c.name, sent: 0, failures: 0, consecutive_failures: 0, last_error: null, last_success_at: null, pending: 0, expired: 0 };
      return { ...describeChannel(c), ...s };
    });
  }

  /** A test notice through one channel; undefined when there is no such channel. */
  test(channel: string): Notice | undefined {
    if (!this.options.channels.some((c) => c.name === channel)) return undefined;
    return this.tracker.test(channel);
  }

  /** The heartbeat's health: failures in a row (0 when it answers or is off). */
  heartbeat(): { configured: boolean; consecutive_failures: number } {
    return { configured: this.options.heartbeatUrl !== undefined, consecutive_failures: this.heartbeatFailures };
  }

  private startHeartbeat(link: AgentLink): void {
    const url = this.options.heartbeatUrl;
    if (url === undefined || this.heartbeatTimer !== null) return;
    const beat = () => {
      if (!link.connected) return;
      fetch(url, { method: 'GET', signal: AbortSignal.timeout(10_000), redirect: 'follow' }).then(
        async (res) => {
          await res.arrayBuffer().catch(() => undefined);
          if (res.ok) this.heartbeatFailures = 0;
          else this.heartbeatFailed(`HTTP ${res.status}`);
        },
        (err: unknown) => this.heartbeatFailed(String((err as Error).message ?? err).slice(0, 200)),
      );
    };
    beat();
    this.heartbeatTimer = setInterval(beat, this.options.heartbeatMs ?? 60_000);
    this.heartbeatTimer.unref();
  }

  private heartbeatFailed(reason: string): void {
    this.heartbeatFailures++;
    this.log.warn({ reason, failures: this.heartbeatFailures }, 'HEARTBEAT_URL did not answer');
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = null;
  }

  /** A notification problem (a full disk under the outbox, say) is logged; it never stops the relay. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, `notifications: ${what} failed`);
    }
  }
}
