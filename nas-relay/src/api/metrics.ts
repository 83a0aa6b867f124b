import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventEntry } from '@boiler/shared';

/** Where the relay's gauges read their current values. */
export interface MetricSources {
  linkConnected(): boolean;
  /** Seconds the current link has been up; 0 when down. */
  linkUptimeSeconds(): number;
  cacheHitRate(): number | null;
  replicaLagSeconds(): number | null;
  /** How far the newest applied event's timestamp was ahead of the relay's clock, in s; null before the first. */
  agentClockAheadSeconds(): number | null;
  lagQuantiles(): { urgentP50: number | null; urgentP99: number | null; sampleP50: number | null; sampleP99: number | null };
  appliedSeq(): number;
  queueCounts(): Record<string, number>;
}

/** The relay's Prometheus metrics (GET /metrics). */
export class RelayMetrics {
  readonly registry = new Registry();
  private readonly messages: Counter<'kind'>;
  private readonly commandLatency: Histogram<'outcome'>;

  constructor(sources: MetricSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'boiler_relay_' });
    // prom-client adds gauges named *_total (active handles, requests, resources), which
    // Prometheus reserves for counters and promtool refuses; the same counts stay, by type, in
    // the gauges without the suffix.
    for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
      this.registry.removeSingleMetric(`boiler_relay_${name}`);
    }
    this.messages = new Counter({ name: 'boiler_relay_messages_total', help: 'Events applied from the agent, by kind', labelNames: ['kind'], registers: [this.registry] });
    this.commandLatency = new Histogram({
      name: 'boiler_relay_command_latency_seconds',
      help: 'Time from a command being accepted to its final state',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
      registers: [this.registry],
    });
    new Gauge({
      name: 'boiler_relay_link_connected',
      help: '1 while the link to the agent is open',
      registers: [this.registry],
      collect() {
        this.set(sources.linkConnected() ? 1 : 0);
      },
    });
    new Gauge({
      name: 'boiler_relay_link_uptime_seconds',
      help: 'How long the current link to the agent has been open',
      registers: [this.registry],
      collect() {
        this.set(sources.linkUptimeSeconds());
      },
    });
    new Gauge({
      name: 'boiler_relay_cache_hit_rate',
      help: 'Cache hits / (hits + misses) since start',
      registers: [this.registry],
      collect() {
        const r = sources.cacheHitRate();
        if (r !== null) this.set(r);
      },
    });
    new Gauge({
      name: 'boiler_relay_replica_lag_seconds',
      help: 'Apply time minus the agent timestamp of the newest applied event, never below 0 (see boiler_relay_agent_clock_ahead_seconds)',
      registers: [this.registry],
      collect() {
        const l = sources.replicaLagSeconds();
        if (l !== null) this.set(l);
      },
    });
    new Gauge({
      name: 'boiler_relay_agent_clock_ahead_seconds',
      help: "How far the agent's timestamp of the newest applied event was ahead of the relay's clock (clock skew, or the simulator under SIM_SPEED); 0 when behind",
      registers: [this.registry],
      collect() {
        const a = sources.agentClockAheadSeconds();
        if (a !== null) this.set(a);
      },
    });
    // A gauge over the recent window, not a summary: the label is `percentile` because promtool
    // reserves `quantile` for summaries, which would also need _sum and _count of every observation.
    new Gauge({
      name: 'boiler_relay_replica_lag_percentile_seconds',
      help: 'Replica lag percentiles over the recent window, by kind (urgent: ON/OFF, alerts, commands; sample)',
      labelNames: ['kind', 'percentile'],
      registers: [this.registry],
      collect() {
        const q = sources.lagQuantiles();
        const set = (kind: string, percentile: string, ms: number | null) => {
          if (ms !== null) this.set({ kind, percentile }, ms / 1000);
        };
        set('urgent', '50', q.urgentP50);
        set('urgent', '99', q.urgentP99);
        set('sample', '50', q.sampleP50);
        set('sample', '99', q.sampleP99);
      },
    });
    new Gauge({
      name: 'boiler_relay_applied_seq',
      help: 'The last event seq applied to the replica',
      registers: [this.registry],
      collect() {
        this.set(sources.appliedSeq());
      },
    });
    new Gauge({
      name: 'boiler_relay_commands',
      help: 'Commands in the queue by state',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        for (const [state, n] of Object.entries(sources.queueCounts())) this.set({ state }, n);
      },
    });
  }

  eventsApplied(events: readonly EventEntry[]): void {
    // Counted per kind first: a catch-up page is a thousand events, and prom-client's inc looks up its label set each call.
    const byKind = new Map<string, number>();
    for (const e of events) byKind.set(e.event, (byKind.get(e.event) ?? 0) + 1);
    for (const [kind, n] of byKind) this.messages.inc({ kind }, n);
  }

  commandFinished(outcome: string, latencyMs: number): void {
    this.commandLatency.observe({ outcome }, latencyMs / 1000);
  }

  /** Per-channel notification gauges, read from the notifier when scraped. */
  notifications(channels: () => readonly { name: string; sent: number; failures: number; consecutive_failures: number; pending: number; expired: number }[]): void {
    const gauge = (name: string, help: string, pick: (c: ReturnType<typeof channels>[number]) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['channel'],
        registers: [this.registry],
        collect() {
          this.reset();
          for (const c of channels()) this.set({ channel: c.name }, pick(c));
        },
      });
    gauge('boiler_relay_notify_pending', 'Notices waiting in the outbox, per channel', (c) => c.pending);
    gauge('boiler_relay_notify_sent', 'Notices delivered since the relay started, per channel', (c) => c.sent);
    gauge('boiler_relay_notify_failed_attempts', 'Failed delivery attempts since the relay started, per channel', (c) => c.failures);
    gauge('boiler_relay_notify_consecutive_failures', 'Failed attempts since the last delivery, per channel (a channel that keeps failing)', (c) => c.consecutive_failures);
    gauge('boiler_relay_notify_expired', 'Notices given up (not delivered within a day), per channel', (c) => c.expired);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
