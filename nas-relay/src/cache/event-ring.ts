import type { EventEntry } from '@boiler/shared';
import { eventQuerySql, type EventQuery } from '@boiler/service';

/** How many recent events the relay keeps in memory. */
export const EVENT_RING_CAPACITY = 1000;

/**
 * The most recent events applied, in memory, oldest overwritten first. It always holds one
 * unbroken run of seqs ending at the newest applied, so when it finds `limit` matches of a
 * query those are exactly the newest ones the replica would return; when it finds fewer it
 * cannot know about older ones and says so (null), and the caller asks the replica.
 */
export class EventRing {
  private readonly slots: (EventEntry | undefined)[];
  /** Where the next event goes. */
  private head = 0;
  private size = 0;
  private newest: number | null = null;

  constructor(readonly capacity = EVENT_RING_CAPACITY) {
    if (!Number.isSafeInteger(capacity) || capacity < 1) throw new RangeError(`event ring capacity must be a whole number from 1, got ${capacity}`);
    this.slots = new Array<EventEntry | undefined>(capacity);
  }

  /**
   * Adds applied events in seq order. Seqs at or below the newest held are skipped (a batch
   * offered again); a seq beyond newest + 1 (a full sync past pruned history) empties the ring
   * first, so it never holds a hole.
   */
  push(events: readonly EventEntry[]): void {
    for (const e of events) {
      if (this.newest !== null && e.seq <= this.newest) continue;
      if (this.newest !== null && e.seq !== this.newest + 1) this.clear();
      this.slots[this.head] = Object.freeze({ ...e });
      this.head = (this.head + 1) % this.capacity;
      this.size = Math.min(this.size + 1, this.capacity);
      this.newest = e.seq;
    }
  }

  /**
   * The newest events matching every filter of `query` (the replica's query, same validation),
   * newest first; null when the ring holds fewer than `limit` matches and older ones may exist.
   */
  query(query: EventQuery): readonly EventEntry[] | null {
    // Validates the limit and kinds exactly as the replica would; null: nothing can match.
    if (eventQuerySql(query) === null) return [];
    const limit = query.limit ?? 100;
    const kinds = query.event === undefined ? null : new Set(typeof query.event === 'string' ? [query.event] : query.event);
    const found: EventEntry[] = [];
    for (let i = 1; i <= this.size && found.length < limit; i++) {
      const e = this.slots[(this.head - i + this.capacity) % this.capacity];
      if (e === undefined) break;
      if (query.zone !== undefined && e.zone !== query.zone) continue;
      if (kinds !== null && !kinds.has(e.event)) continue;
      if (query.from !== undefined && e.ts < query.from) continue;
      if (query.to !== undefined && e.ts >= query.to) continue;
      if (query.beforeSeq !== undefined && e.seq >= query.beforeSeq) continue;
      found.push(e);
    }
    return found.length === limit ? found : null;
  }

  /** Seqs held, oldest and newest; null when empty. */
  range(): { oldest: number; newest: number } | null {
    if (this.newest === null || this.size === 0) return null;
    return { oldest: this.newest - this.size + 1, newest: this.newest };
  }

  get length(): number {
    return this.size;
  }

  clear(): void {
    this.slots.fill(undefined);
    this.head = 0;
    this.size = 0;
    this.newest = null;
  }
}
