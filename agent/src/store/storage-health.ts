import type { Logger } from '@boiler/service';

/** A run of failed writes, from the first failure to the first success after it. */
export interface StorageFault {
  /** Wall time (epoch ms) of the first failure. */
  since: number;
  /** Failed writes so far in this episode. */
  failures: number;
  /** SQLite's code (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR_…) or the error's name. */
  code: string;
  /** The first failure in words. */
  message: string;
  /** What was being written when it first failed. */
  what: string;
}

export interface StorageHealthOptions {
  /** The first retry waits this long (ms of the agent's monotonic clock); each failure doubles it. */
  minBackoffMs: number;
  /** Retries never wait longer than this. */
  maxBackoffMs: number;
}

export const DEFAULT_STORAGE_HEALTH_OPTIONS: StorageHealthOptions = { minBackoffMs: 1000, maxBackoffMs: 60_000 };

/** What attempt() did; `recovered` is the episode this success ended, if it ended one. */
export type WriteOutcome<T> = { ok: true; value: T; recovered: StorageFault | null } | { ok: false; skipped: boolean };

/**
 * Whether the database takes writes, and when to try again when it does not. A failure starts an
 * episode that is logged once (code and message, no stack trace every tick) and lasts until a
 * write succeeds; the caller logs its end once, with the count. While it lasts, writes are tried again only
 * after a backoff (1 s doubling to 60 s by default), never on every tick. The control loop
 * reacts to episodes starting and ending (an alert, /health); it never stops for one.
 */
export class StorageHealth {
  private current: StorageFault | null = null;
  private backoffMs = 0;
  private retryAtMono = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly log: Logger,
    private readonly options: StorageHealthOptions = DEFAULT_STORAGE_HEALTH_OPTIONS,
  ) {}

  /** The fault episode in progress, or null while writes succeed. */
  fault(): StorageFault | null {
    return this.current;
  }

  /** Whether a write should be tried at this monotonic instant: always when healthy, after the backoff otherwise. */
  due(mono: number): boolean {
    return this.current === null || mono >= this.retryAtMono;
  }

  /**
   * Runs `write` when due and reports how it went; never throws. A failure starts or extends the
   * episode; a success ends it. `skipped` means the backoff had not passed and nothing was tried;
   * `force` tries anyway (a command the owner is waiting for).
   */
  attempt<T>(what: string, now: { wall: number; mono: number }, write: () => T, force = false): WriteOutcome<T> {
    if (!force && !this.due(now.mono)) return { ok: false, skipped: true };
    let value: T;
    try {
      value = write();
    } catch (err) {
      this.failed(what, err, now);
      return { ok: false, skipped: false };
    }
    return { ok: true, value, recovered: this.succeeded() };
  }

  /** Records a failed write (for writes run outside attempt(), such as a command's). */
  failed(what: string, err: unknown, now: { wall: number; mono: number }): void {
    const code = errorCode(err);
    const message = err instanceof Error ? err.message : String(err);
    if (this.current === null) {
      this.current = { since: now.wall, failures: 1, code, message: message.slice(0, 200), what };
      this.backoffMs = this.options.minBackoffMs;
      // One line an episode: a full disk must not also fill the journal twice a second.
      this.log.error({ code, what, error: message }, 'storage write failed; control goes on from memory, writes wait and are retried');
    } else {
      this.current.failures++;
      this.backoffMs = Math.min(this.options.maxBackoffMs, this.backoffMs * 2);
    }
    this.retryAtMono = now.mono + this.backoffMs;
  }

  /** Records a write that went through; ends an episode. Returns the episode that ended, if any. */
  succeeded(): StorageFault | null {
    const ended = this.current;
    if (ended === null) return null;
    this.current = null;
    this.backoffMs = 0;
    this.retryAtMono = Number.NEGATIVE_INFINITY;
    return ended;
  }
}

/** SQLite's extended code when there is one (better-sqlite3's SqliteError has `code`), else the error's name. */
export function errorCode(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code.slice(0, 64);
    if (err instanceof Error) return err.name;
  }
  return 'unknown';
}
