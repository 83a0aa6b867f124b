import { DETAIL_RETENTION_MS, type Logger } from '@boiler/service';
import type { Replica } from './replica.js';

export interface ReplicaRetentionOptions {
  /** Raw samples older than this (ms) are pruned (SAMPLE_RETENTION_DAYS). */
  retentionMs: number;
  /** Events of every kind and the finest rollup tier older than this (ms) are pruned; DETAIL_RETENTION_MS by default. */
  detailRetentionMs?: number;
  /** Rows a batch deletes; between batches the event loop serves requests and the link. */
  batchRows?: number;
  /** How often a pruning pass starts (ms). */
  everyMs?: number;
  /** The relay's clock (epoch ms). */
  now?: () => number;
}

/**
 * Prunes the replica's raw samples past the retention window, a pass every few minutes, each
 * pass a run of short batches with the event loop free between them, so a year's backlog (a
 * replica from before retention) never stalls the relay. Events and the finest rollup tier go
 * past the detail window; the hourly and daily rollups are kept.
 */
export class ReplicaRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<PruneTotals> | null = null;
  private stopped = false;

  constructor(
    private readonly replica: Replica,
    private readonly log: Logger,
    private readonly options: ReplicaRetentionOptions,
  ) {}

  start(): void {
    this.stopped = false;
    void this.pass();
    this.timer = setInterval(() => void this.pass(), this.options.everyMs ?? 10 * 60_000);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One pass: batches until one comes back short; what it removed in all. A pass already running is joined, not doubled. */
  pass(): Promise<PruneTotals> {
    this.running ??= this.prune().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async prune(): Promise<PruneTotals> {
    const batch = this.options.batchRows ?? 2000;
    const now = (this.options.now ?? Date.now)();
    const cutoff = now - this.options.retentionMs;
    const detailCutoff = now - (this.options.detailRetentionMs ?? DETAIL_RETENTION_MS);
    const total: PruneTotals = { samples: 0, events: 0, detailEvents: 0, rollups: 0 };
    while (!this.stopped) {
      let full: boolean;
      try {
        const raw = this.replica.pruneSamples(cutoff, batch);
        const detail = this.replica.pruneDetail(detailCutoff, batch);
        total.samples += raw.samples;
        total.events += raw.events;
        total.detailEvents += detail.events;
        total.rollups += detail.rollups;
        full = [raw.samples, raw.events, detail.events, detail.rollups].some((n) => n >= batch);
      } catch (err) {
        // A busy or failing disk: the next pass tries again; nothing else depends on pruning.
        this.log.warn({ err: (err as Error).message }, 'pruning the replica failed; next pass retries');
        break;
      }
      if (!full) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total.samples + total.events + total.detailEvents + total.rollups > 0) {
      this.log.info(
        { samples: total.samples, sample_events: total.events, events: total.detailEvents, rollups_15m: total.rollups },
        'pruned what is past the retention windows',
      );
    }
    return total;
  }
}

/** What a pass removed: raw samples and their SAMPLE events; events of every kind and finest-tier buckets past the detail window. */
export interface PruneTotals {
  samples: number;
  events: number;
  detailEvents: number;
  rollups: number;
}
