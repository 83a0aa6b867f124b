/** Where the relay's cache keeps its values. */
export type CacheBackend = 'redis' | 'memory';

/**
 * A key-value store of text with a time to live: the one small interface behind which the
 * relay's cache sits, in Redis or in this process. Keys are given without any prefix; a
 * store namespaces them itself. Values are JSON text, parsed back by the cache.
 */
export interface CacheStore {
  readonly backend: CacheBackend;
  /** Whether reads and writes can be sent now. A memory store always can. */
  readonly available: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The values of `keys` in order, null where absent or expired. Rejects when the store cannot answer. */
  get(keys: readonly string[]): Promise<(string | null)[]>;
  /** Sets every entry with the same time to live, all together (one round trip, one transaction). */
  set(entries: readonly (readonly [key: string, value: string])[], ttlMs: number): Promise<void>;
  /** A key's remaining time to live in ms, null when it is absent or expired. */
  ttl(key: string): Promise<number | null>;
  /** Calls `listener` whenever `available` changes; returns the function that removes it. */
  onAvailability(listener: (available: boolean) => void): () => void;
}

/** Throws a RangeError unless `ttlMs` is a whole number of ms from 1. */
export function requireTtl(ttlMs: number): void {
  if (!Number.isSafeInteger(ttlMs) || ttlMs < 1) throw new RangeError(`cache time to live must be a whole number of ms from 1, got ${ttlMs}`);
}
