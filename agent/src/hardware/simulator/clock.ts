import type { Clock } from '../types.js';

/**
 * Simulated time: both readings move only when the house is advanced, so the whole agent
 * can run faster than real time (`SIM_SPEED`) or be stepped by a test.
 */
export class SimClock implements Clock {
  private wallOffsetMs = 0;

  /** `elapsed` is the simulated ms since the start; the house owns it. */
  constructor(
    private readonly startWall: number,
    private readonly elapsed: () => number,
  ) {}

  /** Simulated wall time, UTC epoch ms (whole ms). */
  now(): number {
    return Math.floor(this.startWall + this.wallOffsetMs + this.elapsed());
  }

  /** Simulated monotonic ms since the simulation started; wall jumps do not move it. */
  monotonic(): number {
    return this.elapsed();
  }

  /** Steps the wall clock alone (an NTP correction, a bad RTC), to test that timers ignore it. */
  jumpWall(deltaMs: number): void {
    if (!Number.isFinite(deltaMs)) throw new RangeError('a wall-clock jump must be finite');
    this.wallOffsetMs += deltaMs;
  }
}
