import { fromCelsius, type HistoryPoint, type TemperatureUnit } from '@boiler/shared';

/** Where the chart's setpoint line comes from: the history's own, the zone's setpoint now (none recorded), or nowhere. */
export type SetpointSource = 'recorded' | 'now' | 'none';

/** The chart's columns in uPlot's order (time, room, setpoint, outdoor, pipe, on-share) and where the setpoint came from. */
export interface HistoryColumns {
  data: [number[], (number | null)[], (number | null)[], (number | null)[], (number | null)[], (number | null)[]];
  setpoint: SetpointSource;
  /** The lowest and highest setpoint drawn, in the unit; null when none is. */
  setpointRange: [number, number] | null;
}

/**
 * Columns for the history chart, with a null row wherever samples are missing for more than two
 * steps (a gap, not a line). The setpoint is the one recorded with the samples, drawn as it was
 * (null where none was in force: a gap, never a guess). Only when no point of the range has one
 * (history from before setpoints were recorded, or a server that does not send them) is the
 * zone's setpoint now drawn instead, over the stretches that have readings, and the source says so.
 */
export function historyColumns(list: readonly HistoryPoint[], setpointNow: number | null, unit: TemperatureUnit): HistoryColumns {
  const xs: number[] = [];
  const room: (number | null)[] = [];
  const setpoint: (number | null)[] = [];
  const pipe: (number | null)[] = [];
  const outdoor: (number | null)[] = [];
  const duty: (number | null)[] = [];
  const recorded = list.some((p) => p.setpoint_c !== undefined && p.setpoint_c !== null);
  const source: SetpointSource = recorded ? 'recorded' : setpointNow !== null ? 'now' : 'none';
  const step = list.length > 1 ? ((list[list.length - 1]?.ts ?? 0) - (list[0]?.ts ?? 0)) / (list.length - 1) : 0;
  const t = (c: number | null | undefined) => (c === null || c === undefined ? null : fromCelsius(c, unit));
  const now = t(setpointNow);
  let lo = Number.POSITIVE_INFINITY;
  let hi = Number.NEGATIVE_INFINITY;
  let prev: number | null = null;
  for (const p of list) {
    if (prev !== null && step > 0 && p.ts - prev > 2.5 * step) {
      xs.push(prev + step);
      room.push(null);
      setpoint.push(null);
      pipe.push(null);
      outdoor.push(null);
      duty.push(null);
    }
    const sp = source === 'recorded' ? t(p.setpoint_c) : source === 'now' && p.room_c !== null ? now : null;
    if (sp !== null) {
      lo = Math.min(lo, sp);
      hi = Math.max(hi, sp);
    }
    xs.push(p.ts);
    room.push(t(p.room_c));
    setpoint.push(sp);
    pipe.push(t(p.pipe_c));
    outdoor.push(t(p.outdoor_c));
    duty.push(p.duty);
    prev = p.ts;
  }
  return { data: [xs, room, setpoint, outdoor, pipe, duty], setpoint: source, setpointRange: lo <= hi ? [lo, hi] : null };
}
