import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';

/** Flushes an open file to the disk and calls back (fdatasync on the libuv thread pool, off the event loop). */
export type FileSync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/** A caller waiting for every write up to `upTo` to be on the disk. */
interface Waiter {
  upTo: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * Makes the commits of a WAL-mode SQLite file durable after they return, without holding the
 * event loop for the fsync. The connection runs at synchronous NORMAL, so a commit writes its WAL
 * frames and returns; this then fdatasyncs the WAL file, which is exactly the sync FULL would have
 * done inside the commit (in WAL mode FULL differs from NORMAL only by that one sync of the WAL
 * after each commit; checkpoints sync the same way under both). Whoever must not answer before a
 * commit is on the disk awaits durable(); meanwhile the process is free to do other work (the relay
 * sends the command to the agent while its own fsync runs). A process crash loses nothing either
 * way: the frames are in the kernel's cache once the commit returns.
 *
 * Syncs are coalesced: one runs at a time, and the next covers every commit made while it ran.
 */
export class WalSync {
  private fd: number | undefined;
  /** Commits noted so far, and how many of them a finished sync covers. */
  private written = 0;
  private synced = 0;
  private running = false;
  private waiters: Waiter[] = [];
  private closed = false;
  private kickQueued = false;

  constructor(
    private readonly walPath: string,
    private readonly sync: FileSync = fdatasync,
  ) {}

  /**
   * Notes a commit just made; its sync starts (or queues behind the one running now) as soon as the
   * task that made it is done (a microtask), or at once when someone asks for durable(). So what
   * the caller does right after its commit (hand a command to the agent, push an answer to the
   * UIs) goes before the thread pool is woken for the sync, not behind that wake-up.
   */
  committed(): void {
    this.written++;
    if (this.kickQueued) return;
    this.kickQueued = true;
    queueMicrotask(() => {
      this.kickQueued = false;
      this.kick();
    });
  }

  /** Resolves once every commit noted so far is on the disk; rejects if the sync that should cover it fails. */
  durable(): Promise<void> {
    if (this.synced >= this.written) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ upTo: this.written, resolve, reject });
      this.kick();
    });
  }

  /**
   * Syncs what is not synced yet, here and now (the file is about to close), settles every waiter
   * and stops. A sync still running on the thread pool keeps the file open until it is done.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    let err: Error | null = null;
    if (this.synced < this.written) {
      try {
        fdatasyncSync((this.fd ??= openSync(this.walPath, 'r')));
        this.synced = this.written;
      } catch (e) {
        err = e as Error;
      }
    }
    if (!this.running) this.closeFile();
    this.settle(Number.POSITIVE_INFINITY, err);
  }

  private kick(): void {
    if (this.running || this.closed || this.synced >= this.written) return;
    let fd: number;
    try {
      fd = this.fd ??= openSync(this.walPath, 'r');
    } catch (err) {
      this.settle(this.written, err as Error);
      this.synced = this.written;
      return;
    }
    this.running = true;
    const covering = this.written;
    this.sync(fd, (err) => {
      this.running = false;
      if (this.closed) this.closeFile();
      if (err === null) {
        this.synced = covering;
        this.settle(covering, null);
      } else {
        // Those commits are not known to be on the disk; say so to whoever waits on them. The next
        // commit's sync is a new attempt (and covers these frames again if the kernel still has them).
        this.synced = covering;
        this.settle(covering, err);
      }
      this.kick();
    });
  }

  /** Settles the waiters whose commits are all at or below `upTo`. */
  private settle(upTo: number, err: Error | null): void {
    if (this.waiters.length === 0) return;
    const still: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.upTo > upTo) still.push(w);
      else if (err === null) w.resolve();
      else w.reject(err);
    }
    this.waiters = still;
  }

  private closeFile(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already gone with the process's other handles; nothing to keep.
    }
    this.fd = undefined;
  }
}
