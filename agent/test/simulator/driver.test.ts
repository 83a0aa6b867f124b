import { afterEach, describe, expect, it, vi } from 'vitest';
import { type IntervalTimer, SimClock, SimDriver } from '../../src/hardware/simulator/index.js';
import { DENVER_MIDNIGHT_JAN_15, HOUR, MINUTE, referenceHouse } from './reference-house.js';

/** A hand-stepped interval timer and real clock. */
class FakeTimer implements IntervalTimer {
  realMs = 1_000;
  private readonly ticks = new Map<number, { tick: () => void; ms: number }>();
  private nextId = 1;
  cleared: number[] = [];

  setInterval(tick: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.ticks.set(id, { tick, ms });
    return id;
  }

  clearInterval(handle: unknown): void {
    this.ticks.delete(handle as number);
    this.cleared.push(handle as number);
  }

  active(): number {
    return this.ticks.size;
  }

  /** Lets `ms` of real time pass, firing each interval as it comes due. */
  pass(ms: number): void {
    for (const { tick, ms: every } of [...this.ticks.values()]) {
      for (let t = every; t <= ms; t += every) {
        this.realMs += every;
        tick();
      }
    }
  }
}

afterEach(() => {
  vi.useRealTimers();
});

describe('SimClock', () => {
  it('reads simulated time: wall from the start instant, monotonic from zero', () => {
    let elapsed = 0;
    const clock = new SimClock(DENVER_MIDNIGHT_JAN_15, () => elapsed);
    expect(clock.now()).toBe(DENVER_MIDNIGHT_JAN_15);
    expect(clock.monotonic()).toBe(0);
    elapsed = 1500.6;
    expect(clock.now()).toBe(DENVER_MIDNIGHT_JAN_15 + 1500);
    expect(clock.monotonic()).toBe(1500.6);
  });

  it('lets the wall clock jump without moving the monotonic clock', () => {
    const house = referenceHouse();
    house.advance(HOUR);
    house.clock.jumpWall(-2 * HOUR);
    expect(house.clock.now()).toBe(DENVER_MIDNIGHT_JAN_15 - HOUR);
    expect(house.clock.monotonic()).toBe(HOUR);
    house.advance(MINUTE);
    expect(house.clock.now()).toBe(DENVER_MIDNIGHT_JAN_15 - HOUR + MINUTE);
    expect(house.clock.monotonic()).toBe(HOUR + MINUTE);
  });

  it('is moved by the house and nothing else', () => {
    const house = referenceHouse();
    const before = Date.now();
    expect(house.clock.now()).toBe(DENVER_MIDNIGHT_JAN_15);
    house.advance(36 * HOUR);
    expect(house.clock.now()).toBe(DENVER_MIDNIGHT_JAN_15 + 36 * HOUR);
    expect(house.clock.monotonic()).toBe(36 * HOUR);
    expect(Date.now() - before).toBeLessThan(36 * HOUR);
  });
});

describe('SimDriver', () => {
  it('creates no timers when the house and the driver are built, nor until started', () => {
    vi.useFakeTimers();
    const house = referenceHouse();
    const driver = new SimDriver(house, { speed: 60 });
    expect(vi.getTimerCount()).toBe(0);
    driver.start();
    expect(vi.getTimerCount()).toBe(1);
    driver.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('advances the house by real elapsed time times SIM_SPEED', () => {
    const timer = new FakeTimer();
    const house = referenceHouse();
    const driver = new SimDriver(house, { speed: 60, tickMs: 500, timer, realNow: () => timer.realMs });
    driver.start();
    expect(house.clock.monotonic()).toBe(0);
    timer.pass(10_000); // ten real seconds
    expect(house.clock.monotonic()).toBe(10 * MINUTE);
    expect(house.clock.now()).toBe(DENVER_MIDNIGHT_JAN_15 + 10 * MINUTE);
  });

  it('stops: catches up to the moment of stopping, then advances no more', () => {
    const timer = new FakeTimer();
    const house = referenceHouse();
    const driver = new SimDriver(house, { speed: 2, tickMs: 1000, timer, realNow: () => timer.realMs });
    driver.start();
    timer.pass(3000);
    timer.realMs += 400;
    driver.stop();
    expect(driver.running()).toBe(false);
    expect(timer.active()).toBe(0);
    expect(house.clock.monotonic()).toBe(6800);
    timer.realMs += 10_000;
    timer.pass(10_000);
    expect(house.clock.monotonic()).toBe(6800);
    driver.stop();
    expect(timer.cleared).toHaveLength(1);
  });

  it('counts a long stall as at most maxRealGapMs, so it never grinds through days at once', () => {
    const timer = new FakeTimer();
    const house = referenceHouse();
    const driver = new SimDriver(house, { speed: 100, tickMs: 1000, timer, realNow: () => timer.realMs, maxRealGapMs: 5000 });
    driver.start();
    timer.realMs += 3 * HOUR; // the laptop slept
    timer.pass(1000);
    expect(house.clock.monotonic()).toBe(5000 * 100);
  });

  it('refuses a speed that is not a positive factor', () => {
    const house = referenceHouse();
    for (const speed of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, 1e9]) {
      expect(() => new SimDriver(house, { speed }), String(speed)).toThrow(RangeError);
    }
  });
});
