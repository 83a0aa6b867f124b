import { describe, expect, it } from 'vitest';
import { IdleWatch, type IdleClock } from '../../../src/renderer/src/kiosk/idle.js';

/** A clock turned by hand: timers fire only when the test advances it past their time. */
class HandClock implements IdleClock {
  t = 1_000_000;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private nextId = 1;
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  get pending(): number {
    return this.timers.size;
  }
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

function watch(idleMs: number) {
  const clock = new HandClock();
  const calls: number[] = [];
  const w = new IdleWatch(clock, () => calls.push(clock.now()));
  w.start(idleMs);
  return { clock, calls, w };
}

describe('IdleWatch', () => {
  it('goes idle once, exactly the idle time after the start with no activity', () => {
    const { clock, calls, w } = watch(30_000);
    clock.advance(29_999);
    expect(calls).toEqual([]);
    expect(w.isIdle).toBe(false);
    clock.advance(1);
    expect(calls).toEqual([1_030_000]);
    expect(w.isIdle).toBe(true);
    clock.advance(120_000);
    expect(calls).toHaveLength(1);
  });

  it('counts the idle time from the last activity, with one timer however many touches came', () => {
    const { clock, calls, w } = watch(30_000);
    for (let i = 0; i < 50; i++) {
      clock.advance(500);
      w.activity();
    }
    expect(clock.pending).toBe(1);
    const last = clock.now();
    clock.advance(29_999);
    expect(calls).toEqual([]);
    clock.advance(1);
    expect(calls).toEqual([last + 30_000]);
  });

  it('after waking, goes idle again the idle time after the waking touch', () => {
    const { clock, calls, w } = watch(10_000);
    clock.advance(10_000);
    expect(calls).toHaveLength(1);
    clock.advance(5_000);
    w.activity();
    expect(w.isIdle).toBe(false);
    clock.advance(9_999);
    expect(calls).toHaveLength(1);
    clock.advance(1);
    expect(calls).toEqual([1_010_000, 1_025_000]);
  });

  it('a new idle time takes over from a restart; zero never dims; stop cancels', () => {
    const { clock, calls, w } = watch(60_000);
    clock.advance(20_000);
    w.start(15_000);
    clock.advance(14_999);
    expect(calls).toEqual([]);
    clock.advance(1);
    expect(calls).toHaveLength(1);
    w.start(0);
    clock.advance(10 * 3600_000);
    expect(calls).toHaveLength(1);
    expect(clock.pending).toBe(0);
    w.start(1_000);
    w.stop();
    clock.advance(5_000);
    expect(calls).toHaveLength(1);
  });
});
