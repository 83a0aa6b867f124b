/** How far behind the agent the replica runs: apply time minus the agent's timestamp of each event. */
export interface ReplicaLag {
  /** Lag of the newest event of the last batch that applied anything, in ms (never below 0); null before the first. */
  lastMs: number | null;
  /** How far that event's timestamp was ahead of the relay's clock, in ms (0 when it was not); null before the first. */
  aheadMs: number | null;
  /** When that batch was applied (relay clock, epoch ms). */
  lastAppliedAt: number | null;
  /** The agent's timestamp of that newest event. */
  lastEventTs: number | null;
  /** How many events the window below holds (the most recent ones applied). */
  count: number;
  /** Percentiles of the window by nearest rank; null while it is empty. */
  p50Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * The lag of the most recently applied events, in a ring of fixed size, so the memory it takes
 * does not grow with what is applied (a full sync of a year is millions of events).
 *
 * Lag is measured against the agent's own timestamps, and the agent's clock is not the relay's:
 * another machine's clock is skewed, and under SIM_SPEED the simulated house's clock runs many
 * times faster than wall time, so its timestamps run ahead of the relay's clock by more and more.
 * A replica cannot be ahead of its source, so a negative difference measures the clocks, not the
 * lag: it is clamped at 0 (all we know then is that the lag is below what we can measure), and
 * how far ahead the agent's clock was is kept apart (aheadMs) so that skew shows instead of
 * hiding inside a negative lag.
 */
export class LagWindow {
  private readonly ring: Float64Array;
  private next = 0;
  private size = 0;
  private last: { ms: number; aheadMs: number; appliedAt: number; eventTs: number } | null = null;

  constructor(readonly capacity = 1024) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`lag window capacity must be a whole number from 1, got ${capacity}`);
    this.ring = new Float64Array(capacity);
  }

  /** Notes the agent timestamps of a batch of events applied together at `appliedAt`. */
  record(eventTimestamps: readonly number[], appliedAt: number): void {
    if (eventTimestamps.length === 0) return;
    let newest = -Infinity;
    for (const ts of eventTimestamps) {
      this.ring[this.next] = Math.max(0, appliedAt - ts);
      this.next = (this.next + 1) % this.capacity;
      this.size = Math.min(this.size + 1, this.capacity);
      newest = Math.max(newest, ts);
    }
    this.last = { ms: Math.max(0, appliedAt - newest), aheadMs: Math.max(0, newest - appliedAt), appliedAt, eventTs: newest };
  }

  snapshot(): ReplicaLag {
    const sorted = this.ring.slice(0, this.size).sort();
    const at = (q: number): number | null => (this.size === 0 ? null : (sorted[Math.min(this.size - 1, Math.ceil(q * this.size) - 1)] ?? null));
    return {
      lastMs: this.last?.ms ?? null,
      aheadMs: this.last?.aheadMs ?? null,
      lastAppliedAt: this.last?.appliedAt ?? null,
      lastEventTs: this.last?.eventTs ?? null,
      count: this.size,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
      maxMs: this.size === 0 ? null : (sorted[this.size - 1] ?? null),
    };
  }
}
