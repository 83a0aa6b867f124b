import { NOTIFY_FAILING_AFTER, type CommandStatus, type EventEntry, type LiveServerMessage, type SystemState, type ZoneState } from '@boiler/shared';
import { traceCommand, type EventQuery, type Logger } from '@boiler/service';
import { LagWindow, type Replica } from './replica/index.js';
import type { AgentLink } from './link/agent-link.js';
import type { ChannelView, Notifier } from './notify/index.js';
import { isFinal, type CommandQueue, type QueuedCommand } from './queue/index.js';
import type { RelayCache } from './cache/index.js';
import { RelayMetrics } from './api/metrics.js';
import type { LiveHub } from './api/live.js';

/** A queued command as the apps see it. */
export function commandStatus(c: QueuedCommand): CommandStatus {
  return {
    id: c.id,
    body: c.body,
    state: c.state,
    attempts: c.attempts,
    created_at: c.created_at,
    expires_at: c.expires_at,
    last_error: c.last_error,
    result: c.result,
    updated_at: c.updated_at,
  };
}

/**
 * The relay's parts working together: what the link applies goes through the cache and out to
 * the live UIs; commands go from the queue over the link; everything is measured. Constructor
 * only assigns; start() and stop() do the work.
 */
export class Relay {
  readonly metrics: RelayMetrics;
  readonly lagByKind = { urgent: new LagWindow(), sample: new LagWindow() };
  private live: LiveHub | undefined;
  private notifier: Notifier | undefined;
  private readonly unsubscribe: (() => void)[] = [];
  private linkUpSince: number | null = null;
  /** The relay's clock when it saw the link to the Pi drop; null while up or before any drop was seen. */
  private linkDownSince: number | null = null;

  constructor(
    readonly replica: Replica,
    readonly link: AgentLink,
    readonly queue: CommandQueue,
    readonly cache: RelayCache,
    private readonly log: Logger,
    private readonly wallClock: () => number = Date.now,
  ) {
    this.metrics = new RelayMetrics({
      linkConnected: () => this.link.connected,
      linkUptimeSeconds: () => (this.linkUpSince === null ? 0 : (performance.now() - this.linkUpSince) / 1000),
      cacheHitRate: () => this.cache.status().hit_rate,
      replicaLagSeconds: () => {
        const l = this.replica.lag().lastMs;
        return l === null ? null : l / 1000;
      },
      agentClockAheadSeconds: () => {
        const a = this.replica.lag().aheadMs;
        return a === null ? null : a / 1000;
      },
      lagQuantiles: () => {
        const u = this.lagByKind.urgent.snapshot();
        const s = this.lagByKind.sample.snapshot();
        return { urgentP50: u.p50Ms, urgentP99: u.p99Ms, sampleP50: s.p50Ms, sampleP99: s.p99Ms };
      },
      appliedSeq: () => this.replica.appliedSeq(),
      queueCounts: () => this.queue.counts(),
    });
  }

  /** Pushes changes to this hub from now on. */
  attachLive(live: LiveHub): void {
    this.live = live;
  }

  async start(): Promise<void> {
    await this.cache.start();
    this.unsubscribe.push(
      this.link.listen({
        applied: (events, at, how) => this.applied(events, at, how.streamed),
        zones: (zones) => this.zonesChanged(zones),
        system: (system) => this.systemChanged(system),
        // Another app (or the Pi's own API) changed a schedule or preset: every UI shows it without a reload.
        settings: (settings) => this.live?.broadcast({ type: 'settings', settings }),
        connected: () => {
          this.linkUpSince = performance.now();
          this.linkDownSince = null;
          this.live?.broadcast({ type: 'link', pi_connected: true, pi_offline_since: null });
        },
        disconnected: () => {
          this.linkUpSince = null;
          this.linkDownSince ??= this.wallClock();
          this.live?.broadcast({ type: 'link', pi_connected: false, pi_offline_since: this.linkDownSince });
        },
      }),
    );
    this.unsubscribe.push(
      this.queue.listen({
        changed: (command) => {
          if (isFinal(command.state)) traceCommand(this.log, command.id, 'live_sent');
          this.live?.broadcast({ type: 'command', command: commandStatus(command) });
        },
        finished: (command, latencyMs) => this.metrics.commandFinished(command.state, latencyMs),
      }),
    );
    this.queue.start();
    this.link.start();
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    this.link.stop();
    this.queue.stop();
    await this.cache.stop();
  }

  // ---- reads for the API -------------------------------------------------------------------

  zones(): Promise<ZoneState[]> {
    return this.cache.zones(() => this.replica.zones());
  }

  zone(name: string): Promise<ZoneState | null> {
    return this.cache.zone(name, () => this.replica.zone(name));
  }

  system(): Promise<SystemState | null> {
    return this.cache.system(() => this.replica.system());
  }

  events(query: EventQuery & { limit: number }): Promise<EventEntry[]> {
    return this.cache.events(query, () => this.replica.queryEvents(query));
  }

  /** The notification channels (secrets masked) and how delivery goes; empty when none are configured. */
  notifyView(): { channels: ChannelView[]; heartbeat: { configured: boolean; consecutive_failures: number } } {
    return { channels: this.notifier?.channels() ?? [], heartbeat: this.notifier?.heartbeat() ?? { configured: false, consecutive_failures: 0 } };
  }

  /** Queues a test notice on one channel; null when there is no such channel. */
  testNotice(channel: string): { id: string } | null {
    const n = this.notifier?.test(channel);
    return n === undefined ? null : { id: n.id };
  }

  /** Shows the notifier's channels in /health and /metrics. */
  attachNotifier(notifier: Notifier): void {
    this.notifier = notifier;
    this.metrics.notifications(() => notifier.channels());
  }

  health(): {
    status: 'ok' | 'degraded';
    pi_connected: boolean;
    cache_hit_rate: number | null;
    cache: string;
    replica_lag_s: number | null;
    last_seq: number;
    notify?: { failing: string[]; pending: number; heartbeat_failures: number };
  } {
    const cache = this.cache.status();
    const lag = this.replica.lag().lastMs;
    // A channel that keeps failing (three tries in a row) degrades the relay: the owner may not hear of an alert.
    const channels = this.notifier?.channels() ?? [];
    const failing = channels.filter((c) => c.consecutive_failures >= NOTIFY_FAILING_AFTER).map((c) => c.name);
    const heartbeat = this.notifier?.heartbeat().consecutive_failures ?? 0;
    return {
      status: this.link.connected && cache.state === 'healthy' && failing.length === 0 ? 'ok' : 'degraded',
      pi_connected: this.link.connected,
      cache_hit_rate: cache.hit_rate,
      cache: cache.state,
      replica_lag_s: lag === null ? null : lag / 1000,
      last_seq: this.replica.appliedSeq(),
      ...(this.notifier === undefined ? {} : { notify: { failing, pending: channels.reduce((n, c) => n + c.pending, 0), heartbeat_failures: heartbeat } }),
    };
  }

  linkView(): Record<string, unknown> {
    return {
      connected: this.link.connected,
      applied_seq: this.replica.appliedSeq(),
      link: this.link.stats,
      replica: this.replica.stats,
      lag: this.replica.lag(),
      lag_by_kind: { urgent: this.lagByKind.urgent.snapshot(), sample: this.lagByKind.sample.snapshot() },
      cache: this.cache.status(),
      commands: this.queue.counts(),
    };
  }

  /** What a UI gets first on the live socket, and again after every reconnect. */
  async liveSnapshot(): Promise<LiveServerMessage> {
    return {
      type: 'snapshot',
      zones: await this.zones(),
      system: await this.system(),
      commands: this.queue.list({ limit: 50 }).map(commandStatus),
      pi_connected: this.link.connected,
      pi_offline_since: this.link.connected ? null : this.linkDownSince,
    };
  }

  // ---- what the link applied ---------------------------------------------------------------

  private applied(events: readonly EventEntry[], at: number, streamed: boolean): void {
    if (events.length === 0) return;
    this.lagByKind.urgent.record(events.filter((e) => e.event !== 'SAMPLE').map((e) => e.ts), at);
    this.lagByKind.sample.record(events.filter((e) => e.event === 'SAMPLE').map((e) => e.ts), at);
    this.metrics.eventsApplied(events);
    // A page of history goes to the cache's ring of recent events as its newest event alone: the
    // ring then starts again from there (it holds only a gap-free run of the newest seqs), rather
    // than copying every page of a year's full sync, each copy kept just long enough to be
    // promoted into the old generation (a full sync's peak memory was mostly those copies).
    this.writeThrough({ events: streamed ? events.slice(-1) : events });
    this.live?.broadcast({ type: 'events', events: [...events] });
  }

  private zonesChanged(zones: readonly ZoneState[]): void {
    this.writeThrough({ zones });
    this.live?.broadcast({ type: 'zones', zones: [...zones] });
  }

  private systemChanged(system: SystemState): void {
    this.writeThrough({ system });
    this.live?.broadcast({ type: 'system', system });
  }

  private writeThrough(batch: Parameters<RelayCache['writeThrough']>[0]): void {
    this.cache.writeThrough(batch).catch((err: unknown) => this.log.warn({ err }, 'cache write-through failed'));
  }
}
