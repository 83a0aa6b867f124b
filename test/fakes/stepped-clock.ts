/**
 * A clock and timers that move only when a test steps them: wall and monotonic time advance
 * together, and the timers due on the way run in due order, each at its own instant. Handed to
 * code that takes its timers and clock through the constructor (the link's two ends); nothing
 * global is patched, so the sockets' own callbacks and promises run as usual.
 */
export class SteppedClock {
  private mono = 0;
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void; every: number | null }>();

  constructor(private readonly startWall = Date.UTC(2026, 0, 14, 12, 0)) {}

  /** Wall ms. */
  now(): number {
    return this.startWall + this.mono;
  }

  /** Monotonic ms since the clock was made. */
  monotonic(): number {
    return this.mono;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    return this.schedule(fn, ms, null);
  }

  clearTimeout(handle: unknown): void {
    if (typeof handle === 'number') this.timers.delete(handle);
  }

  setInterval(fn: () => void, ms: number): unknown {
    return this.schedule(fn, ms, Math.max(1, ms));
  }

  clearInterval(handle: unknown): void {
    this.clearTimeout(handle);
  }

  /** How many timers are set. */
  pending(): number {
    return this.timers.size;
  }

  /** Ms until the next timer is due, or null when none is set. */
  untilNext(): number | null {
    let next: number | null = null;
    for (const t of this.timers.values()) if (next === null || t.due < next) next = t.due;
    return next === null ? null : next - this.mono;
  }

  /** Moves time on by ms, running every timer due on the way at its instant. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      const due = this.nextDue(end);
      if (due === null) break;
      const [id, timer] = due;
      this.mono = timer.due;
      if (timer.every === null) this.timers.delete(id);
      else timer.due += timer.every;
      timer.fn();
    }
    this.mono = end;
  }

  private nextDue(end: number): [number, { due: number; fn: () => void; every: number | null }] | null {
    let found: [number, { due: number; fn: () => void; every: number | null }] | null = null;
    // Ties go to the timer set first (the lower id), as Node runs them.
    for (const entry of this.timers) if (entry[1].due <= end && (found === null || entry[1].due < found[1].due)) found = entry;
    return found;
  }

  private schedule(fn: () => void, ms: number, every: number | null): number {
    const id = this.nextId++;
    this.timers.set(id, { due: this.mono + Math.max(0, ms), fn, every });
    return id;
  }
}
