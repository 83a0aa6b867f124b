/** The clock and timer an IdleWatch runs on: the page's own, or a test's hand-turned one. */
export interface IdleClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Calls `onIdle` once no activity has been seen for `idleMs`. Activity only stamps the time (it
 * comes with every pointer move); the one timer, when it fires early, is set again for what is
 * left, so a busy screen costs no timer churn.
 */
export class IdleWatch {
  private idleMs = 0;
  private lastActivity = 0;
  private handle: unknown = undefined;
  private idle = false;

  constructor(
    private readonly clock: IdleClock,
    private readonly onIdle: () => void,
  ) {}

  /** Starts (or restarts) watching with this idle time; 0 or less never goes idle. */
  start(idleMs: number): void {
    this.stop();
    this.idleMs = idleMs;
    this.idle = false;
    this.lastActivity = this.clock.now();
    this.arm(idleMs);
  }

  /** Someone touched the screen: idle again only `idleMs` from now. */
  activity(): void {
    this.lastActivity = this.clock.now();
    if (this.idle) {
      this.idle = false;
      this.arm(this.idleMs);
    }
  }

  /** Whether the idle time has passed since the last activity (and onIdle was called). */
  get isIdle(): boolean {
    return this.idle;
  }

  stop(): void {
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private arm(ms: number): void {
    if (this.idleMs <= 0) return;
    this.stop();
    this.handle = this.clock.setTimeout(() => this.check(), Math.max(0, ms));
  }

  private check(): void {
    this.handle = undefined;
    const left = this.lastActivity + this.idleMs - this.clock.now();
    if (left > 0) {
      this.arm(left);
      return;
    }
    this.idle = true;
    this.onIdle();
  }
}
