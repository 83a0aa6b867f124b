import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '@boiler/shared';
import { historyColumns } from '../../../src/renderer/src/display/history-columns.js';

const T0 = Date.UTC(2026, 11, 1);
const STEP = 15 * 60_000;

function point(i: number, setpoint_c: number | null | undefined, room_c: number | null = 20): HistoryPoint {
  const p: HistoryPoint = { ts: T0 + i * STEP, room_c, pipe_c: 40, outdoor_c: -5, duty: 0.5 };
  if (setpoint_c !== undefined) p.setpoint_c = setpoint_c;
  return p;
}

describe('historyColumns', () => {
  it('draws the setpoint recorded with each point, not the setpoint now', () => {
    const list = [point(0, 16), point(1, 16), point(2, 21), point(3, 21), point(4, 18.5)];
    const cols = historyColumns(list, 25, 'C');
    expect(cols.setpoint).toBe('recorded');
    expect(cols.data[0]).toEqual(list.map((p) => p.ts));
    expect(cols.data[2]).toEqual([16, 16, 21, 21, 18.5]);
    expect(cols.data[2]).not.toContain(25);
    expect(cols.setpointRange).toEqual([16, 21]);
    // In °F, as the rest of the chart.
    expect(historyColumns(list, 25, 'F').data[2]).toEqual([60.8, 60.8, 69.8, 69.8, 65.3].map((f) => expect.closeTo(f, 9)));
  });

  it('leaves a gap where no setpoint was in force, and where samples are missing, rather than carrying one across', () => {
    // A stretch in ON mode (no setpoint), then an hour with no samples at all, then the schedule again.
    const list = [point(0, 20), point(1, null), point(2, null), point(3, 20), point(8, 21), point(9, 21)];
    const cols = historyColumns(list, 21, 'C');
    expect(cols.setpoint).toBe('recorded');
    // A null row is put in the hole between points 3 and 8, on every series.
    expect(cols.data[0]).toHaveLength(7);
    expect(cols.data[0][4]).toBeGreaterThan(T0 + 3 * STEP);
    expect(cols.data[0][4]).toBeLessThan(T0 + 8 * STEP);
    expect(cols.data[2]).toEqual([20, null, null, 20, null, 21, 21]);
    expect(cols.data[1]).toEqual([20, 20, 20, 20, null, 20, 20]);
  });

  it('falls back to the setpoint now only when the range holds none recorded (older history or server), and says so', () => {
    for (const list of [
      [point(0, undefined), point(1, undefined), point(2, undefined, null)],
      [point(0, null), point(1, null), point(2, null, null)],
    ]) {
      const cols = historyColumns(list, 19, 'C');
      expect(cols.setpoint).toBe('now');
      // Over the stretches with readings only.
      expect(cols.data[2]).toEqual([19, 19, null]);
      expect(cols.setpointRange).toEqual([19, 19]);
    }
    // An on/off zone: no setpoint recorded and none now; no line at all.
    const none = historyColumns([point(0, null), point(1, null)], null, 'C');
    expect(none.setpoint).toBe('none');
    expect(none.data[2]).toEqual([null, null]);
    expect(none.setpointRange).toBeNull();
  });
});
