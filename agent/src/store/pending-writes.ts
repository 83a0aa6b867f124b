import type { z } from 'zod';
import { safeParseUnknown, type EventEntry } from '@boiler/shared';
import { Sample } from '@boiler/service';
import { NewEvent, type AgentStore } from './agent-store.js';

/** What waits in memory for the database: an engine event, or a sample (with its SAMPLE event). */
export type PendingWrite = { kind: 'event'; event: NewEvent } | { kind: 'sample'; sample: Sample };

/** How many writes the queue gave up on, by what they were. */
export interface DroppedWrites {
  /** Samples dropped to make room (the least valuable: rollups and the next minute carry on). */
  samples: number;
  /** ON/OFF/ALERT events dropped because even after every sample went the bound was passed. */
  events: number;
  /** Writes refused on the way in because they would never be stored (a bug, not a disk fault). */
  invalid: number;
}

/** A sensible bound: a day of samples of 14 zones, a few MiB of memory. */
export const DEFAULT_PENDING_LIMIT = 20_000;

/**
 * The writes the agent made while the database would not take them, in the order they were
 * made, bounded. Nothing here has a seq yet: seqs are given when a write reaches the database,
 * so what reaches it is always contiguous. Past the bound the oldest sample goes first, and
 * only when no sample is left the oldest event; every drop is counted.
 */
export class PendingWrites {
  private items: PendingWrite[] = [];
  private samples = 0;
  readonly dropped: DroppedWrites = { samples: 0, events: 0, invalid: 0 };

  constructor(readonly limit: number = DEFAULT_PENDING_LIMIT) {}

  /** How many writes wait. */
  size(): number {
    return this.items.length;
  }

  /** Queues events, refusing (and counting) any the store would never accept, so one bad row cannot block the queue for good. */
  pushEvents(events: readonly unknown[]): string[] {
    return this.pushParsed(events, NewEvent, 'event', (event) => ({ kind: 'event', event }));
  }

  /** Queues samples, refusing (and counting) any the store would never accept. */
  pushSamples(samples: readonly unknown[]): string[] {
    return this.pushParsed(samples, Sample, 'sample', (sample) => ({ kind: 'sample', sample }));
  }

  /** Parses each row with `schema` and queues what parses; answers a problem per refused row. */
  private pushParsed<S extends z.ZodType>(rows: readonly unknown[], schema: S, label: string, wrap: (row: z.output<S>) => PendingWrite): string[] {
    const problems: string[] = [];
    for (const [i, row] of rows.entries()) {
      const parsed = safeParseUnknown(schema, row, `${label} ${i}`);
      if (!parsed.ok) {
        this.dropped.invalid++;
        problems.push(parsed.error.message);
        continue;
      }
      this.push(wrap(parsed.value));
    }
    return problems;
  }

  private push(item: PendingWrite): void {
    this.items.push(item);
    if (item.kind === 'sample') this.samples++;
    while (this.items.length > this.limit) this.dropOne();
  }

  private dropOne(): void {
    if (this.samples > 0) {
      const i = this.items.findIndex((w) => w.kind === 'sample');
      this.items.splice(i, 1);
      this.samples--;
      this.dropped.samples++;
      return;
    }
    this.items.shift();
    this.dropped.events++;
  }

  /**
   * Writes up to `max` of the oldest waiting writes through `store` (events appended, samples
   * recorded with their SAMPLE events), in one transaction or inside the caller's, and returns
   * the events stored (in seq order) with how many writes that was. Nothing leaves the queue
   * here: call discard(count) once the outermost transaction has committed, so a rollback
   * (the caller's own write failing after this one) loses nothing.
   */
  write(store: AgentStore, max: number = Number.POSITIVE_INFINITY): { events: EventEntry[]; count: number } {
    const count = Math.min(max, this.items.length);
    if (count === 0) return { events: [], count: 0 };
    const batch = this.items.slice(0, count);
    const events = store.transaction(() => {
      const out: EventEntry[] = [];
      // Runs of one kind go in one call each, so a minute's samples cost one rollup upsert per bucket.
      let i = 0;
      while (i < batch.length) {
        const kind = (batch[i] as PendingWrite).kind;
        let j = i;
        while (j < batch.length && (batch[j] as PendingWrite).kind === kind) j++;
        const run = batch.slice(i, j);
        if (kind === 'event') out.push(...store.appendParsedEvents(run.map((w) => (w as { event: NewEvent }).event)));
        else out.push(...store.recordSamples(run.map((w) => (w as { sample: Sample }).sample)));
        i = j;
      }
      return out;
    });
    return { events, count };
  }

  /** Removes the oldest `count` writes: those a committed write() stored. */
  discard(count: number): void {
    const gone = this.items.splice(0, count);
    for (const w of gone) if (w.kind === 'sample') this.samples--;
  }
}
