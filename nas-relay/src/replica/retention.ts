import type { Logger } from '@boiler/service';
import type { Replica } from './replica.js';

export interface ReplicaRetentionOptions {
  /** Raw samples older than this (ms) are pruned (SAMPLE_RETENTION_DAYS). */
  retentionMs: number;
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
 * replica from before retention) never stalls the relay. Rollups are kept.
 */
export class ReplicaRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<{ samples: number; events: number }> | null = null;
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
  pass(): Promise<{ samples: number; events: number }> {
    this.running ??= this.prune().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async prune(): Promise<{ samples: number; events: number }> {
    const batch = this.options.batchRows ?? 2000;
    const cutoff = (this.options.now ?? Date.now)() - this.options.retentionMs;
    const total = { samples: 0, events: 0 };
    while (!this.stopped) {
      let removed: { samples: number; events: number };
      try {
        removed = this.replica.pruneSamples(cutoff, batch);
      } catch (err) {
        // A busy or failing disk: the next pass tries again; nothing else depends on pruning.
        this.log.warn({ err: (err as Error).message }, 'pruning the replica failed; next pass retries');
        break;
      }
      total.samples += removed.samples;
      total.events += removed.events;
      if (removed.samples < batch && removed.events < batch) break;
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (total.samples + total.events > 0) this.log.info({ samples: total.samples, sample_events: total.events }, 'pruned raw samples past the retention window');
    return total;
  }
}
