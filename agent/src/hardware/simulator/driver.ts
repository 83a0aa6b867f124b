import { nodeIntervalTimer, type IntervalTimer } from '../types.js';

export { nodeIntervalTimer, type IntervalTimer };

/** Anything that steps simulated time (the house). */
export interface Advanceable {
  advance(dtMs: number): void;
}

export interface SimDriverOptions {
  /** Simulated ms per real ms (`SIM_SPEED`); 1 is real time. */
  speed: number;
  /** Real ms between ticks (500). */
  tickMs?: number;
  /** Real monotonic ms (performance.now). */
  realNow?: () => number;
  timer?: IntervalTimer;
  /**
   * A longer real gap between ticks (a stalled event loop, a suspended laptop) counts as this
   * much (5000 ms), so the simulation slips behind instead of grinding through hours at once.
   */
  maxRealGapMs?: number;
}

/** The most `SIM_SPEED` may be: a day a second. */
export const MAX_SIM_SPEED = 86_400;

/** Advances a simulated house by real elapsed time times `speed`, from start() until stop(). */
export class SimDriver {
  private readonly speed: number;
  private readonly tickMs: number;
  private readonly realNow: () => number;
  private readonly timer: IntervalTimer;
  private readonly maxRealGapMs: number;
  private handle: unknown = null;
  private lastReal = 0;

  constructor(
    private readonly house: Advanceable,
    options: SimDriverOptions,
  ) {
    if (!(Number.isFinite(options.speed) && options.speed > 0 && options.speed <= MAX_SIM_SPEED)) {
      throw new RangeError(`SIM_SPEED must be above 0 and at most ${MAX_SIM_SPEED}`);
    }
    this.speed = options.speed;
    this.tickMs = options.tickMs ?? 500;
    this.realNow = options.realNow ?? (() => performance.now());
    this.timer = options.timer ?? nodeIntervalTimer;
    this.maxRealGapMs = options.maxRealGapMs ?? 5000;
  }

  /** Starts ticking; a second start() is a no-op. */
  start(): void {
    if (this.handle !== null) return;
    this.lastReal = this.realNow();
    this.handle = this.timer.setInterval(() => this.tick(), this.tickMs);
  }

  /** Stops ticking, first catching the house up to now. */
  stop(): void {
    if (this.handle === null) return;
    this.tick();
    this.timer.clearInterval(this.handle);
    this.handle = null;
  }

  running(): boolean {
    return this.handle !== null;
  }

  /**
   * Simulated ms that have passed in real time since the house was last advanced. Timestamps
   * read between two driver ticks add this, so at SIM_SPEED 1 the agent's clock is real time
   * rather than a clock that stands still for a tick and then jumps.
   */
  pendingMs(): number {
    if (this.handle === null) return 0;
    return Math.min(Math.max(0, this.realNow() - this.lastReal), this.maxRealGapMs) * this.speed;
  }

  private tick(): void {
    const now = this.realNow();
    const gap = Math.min(Math.max(0, now - this.lastReal), this.maxRealGapMs);
    this.lastReal = now;
    if (gap > 0) this.house.advance(gap * this.speed);
  }
}
