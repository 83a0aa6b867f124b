import { requireTtl, type CacheStore } from './store.js';

interface Entry {
  text: string;
  expiresAt: number;
}

/**
 * The in-process store: a Map whose entries expire by the given clock. Used when REDIS_URL is
 * unset, and as the relay's fallback whenever Redis cannot answer. It holds text, like Redis,
 * so a caller can never mutate a cached state through a reference it was handed.
 */
export class MemoryStore implements CacheStore {
  readonly backend = 'memory';
  readonly available = true;
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  // Async only to fit the interface: each body runs to its end before the call returns, so a
  // write is visible to any read issued after it.
  async start(): Promise<void> {}

  async stop(): Promise<void> {
    this.entries.clear();
  }

  async get(keys: readonly string[]): Promise<(string | null)[]> {
    return keys.map((key) => this.live(key)?.text ?? null);
  }

  async set(entries: readonly (readonly [key: string, value: string])[], ttlMs: number): Promise<void> {
    requireTtl(ttlMs);
    const expiresAt = this.now() + ttlMs;
    for (const [key, text] of entries) this.entries.set(key, { text, expiresAt });
    this.sweep();
  }

  async ttl(key: string): Promise<number | null> {
    const entry = this.live(key);
    return entry === undefined ? null : entry.expiresAt - this.now();
  }

  onAvailability(): () => void {
    return () => {};
  }

  /** How many entries are held, expired ones not yet swept included. */
  get size(): number {
    return this.entries.size;
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt > this.now()) return entry;
    this.entries.delete(key);
    return undefined;
  }

  // Keys are zones and the system state, so the map stays small; dropping expired entries on
  // write keeps it bounded even for keys that are never read again, without a timer.
  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
  }
}
