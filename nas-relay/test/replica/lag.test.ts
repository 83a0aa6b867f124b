import { describe, expect, it } from 'vitest';
import { LagWindow } from '../../src/replica/index.js';
import { sourceEvent, sourceRange } from './fixtures/source-log.js';
import { useTempFiles } from './temp-replica.js';

const files = useTempFiles();

describe('replica lag', () => {
  it('measures the apply time against the agent timestamps of the events applied, not of those skipped', () => {
    let now = 0;
    const replica = files.openReplica(undefined, { now: () => now });
    expect(replica.lag()).toEqual({ lastMs: null, aheadMs: null, lastAppliedAt: null, lastEventTs: null, count: 0, p50Ms: null, p99Ms: null, maxMs: null });

    // sourceEvent(seq).ts is 20 s apart per seq.
    now = sourceEvent(4).ts + 15;
    replica.applyEvents(sourceRange(1, 4));
    expect(replica.lag()).toEqual({
      lastMs: 15,
      aheadMs: 0,
      lastAppliedAt: now,
      lastEventTs: sourceEvent(4).ts,
      count: 4,
      p50Ms: 20_015, // nearest rank: the 2nd of 4
      p99Ms: 60_015,
      maxMs: 60_015,
    });

    // A re-sent batch changes nothing; nor does an empty one.
    now += 1_000_000;
    replica.applyEvents(sourceRange(2, 4));
    replica.applyEvents([]);
    expect(replica.lag().lastAppliedAt).toBe(sourceEvent(4).ts + 15);

    replica.applyEvents(sourceRange(3, 5));
    expect(replica.lag()).toMatchObject({ lastMs: now - sourceEvent(5).ts, lastEventTs: sourceEvent(5).ts, count: 5, maxMs: now - sourceEvent(5).ts });
  });

  it('keeps only the most recent events, however many are applied', () => {
    const window = new LagWindow(100);
    for (let i = 0; i < 50; i++) window.record(Array.from({ length: 2000 }, (_, j) => i * 2000 + j), 200_000);
    const lag = window.snapshot();
    expect(lag.count).toBe(100);
    // The last 100 timestamps were 99,900..99,999: lags 100,001..100,100.
    expect(lag.maxMs).toBe(100_100);
    expect(lag.p50Ms).toBe(100_050);
    expect(lag.p99Ms).toBe(100_099);
    expect(lag.lastMs).toBe(100_001);
    expect(() => new LagWindow(0)).toThrow(RangeError);
  });

  it("never goes below 0 when the agent's clock runs ahead (SIM_SPEED, skew), and says by how much it was ahead", () => {
    const window = new LagWindow(10);
    // Under SIM_SPEED 60 the simulated clock gains 59 s on the wall every second.
    window.record([1_000_000, 1_059_000, 1_118_000], 1_002_000);
    const lag = window.snapshot();
    expect(lag.lastMs).toBe(0);
    expect(lag.aheadMs).toBe(116_000);
    expect(lag.p50Ms).toBe(0);
    expect(lag.maxMs).toBe(2_000);
    for (const v of [lag.lastMs, lag.p50Ms, lag.p99Ms, lag.maxMs]) expect(v).toBeGreaterThanOrEqual(0);
    // Behind again: measured as before, nothing ahead.
    window.record([1_200_000], 1_200_250);
    expect(window.snapshot()).toMatchObject({ lastMs: 250, aheadMs: 0 });
  });
});
