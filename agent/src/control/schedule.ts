import { minutesOfDay, utcOffsetMinutes, type WeeklySchedule, type ZoneKind } from '@boiler/shared';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/**
 * Every modern tz database transition falls on a quarter hour of UTC (offsets are whole
 * quarter hours and changes happen at a local HH:00 or HH:30), so an offset read at the start
 * of a 15-minute UTC bucket holds for the whole bucket.
 */
const BUCKET_MS = 15 * MINUTE_MS;
const MEMO_LIMIT = 4096;

/** The site's wall clock as a schedule reads it. */
export interface ScheduleClock {
  /** Local calendar days since 1970-01-01 (a count of dates, not of 24-hour spans). */
  readonly day: number;
  /** 0 = Sunday … 6 = Saturday. */
  readonly weekday: number;
  /** Minutes after local midnight. */
  readonly minutes: number;
}

// Offsets by time zone and bucket. Intl is slow (microseconds a call) and a tick must stay far
// cheaper than that times 14 zones, so each bucket is asked once; the cache changes no result.
const offsetMemo = new Map<string, Map<number, number>>();

function offsetAt(bucketStart: number, timeZone: string): number {
  let byBucket = offsetMemo.get(timeZone);
  if (byBucket === undefined) {
    byBucket = new Map();
    offsetMemo.set(timeZone, byBucket);
  }
  let offset = byBucket.get(bucketStart);
  if (offset === undefined) {
    if (byBucket.size >= MEMO_LIMIT) byBucket.clear();
    offset = utcOffsetMinutes(bucketStart, timeZone);
    byBucket.set(bucketStart, offset);
  }
  return offset;
}

/**
 * Reads an instant on the site's wall clock for schedules, across daylight-saving changes:
 * - spring forward (the skipped hour): a switch point inside it has not happened before the
 *   jump and has happened after, so it takes effect at the jump;
 * - fall back (the repeated hour): the clock is held at the last minute before the change for
 *   the second pass, so every switch point fires once, at its first occurrence, and the
 *   schedule never steps back to an earlier entry.
 * Handles changes of up to an hour, which is every change the tz database has had since 1996.
 */
export function scheduleClock(wall: number, timeZone: string): ScheduleClock {
  const bucket = Math.floor(wall / BUCKET_MS) * BUCKET_MS;
  const offset = offsetAt(bucket, timeZone);
  let local = wall + offset * MINUTE_MS;
  const hourAgo = offsetAt(bucket - 4 * BUCKET_MS, timeZone);
  if (hourAgo > offset) {
    // The clocks went back within the last hour: find the bucket where they did.
    let change = bucket;
    while (offsetAt(change - BUCKET_MS, timeZone) === offset) change -= BUCKET_MS;
    const repeatedMs = (hourAgo - offset) * MINUTE_MS;
    if (wall - change < repeatedMs) local = change + hourAgo * MINUTE_MS - MINUTE_MS;
  }
  const day = Math.floor(local / DAY_MS);
  return {
    day,
    weekday: (((day + 4) % 7) + 7) % 7, // 1970-01-01 was a Thursday
    minutes: Math.floor((local - day * DAY_MS) / MINUTE_MS),
  };
}

/** One switch point, parsed. */
interface SwitchPoint {
  readonly at: number;
  readonly setpoint_c: number;
  readonly on: boolean;
}

type CompiledWeek = readonly (readonly SwitchPoint[])[];

const DAY_KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

// Parsing "HH:MM" in every tick would dominate its cost; schedules are replaced, never mutated,
// so compiling once per schedule object is safe.
const compiledHeat = new WeakMap<WeeklySchedule, CompiledWeek>();
const compiledOnOff = new WeakMap<WeeklySchedule, CompiledWeek>();

function compile(schedule: WeeklySchedule, kind: ZoneKind): CompiledWeek {
  const memo = kind === 'heat' ? compiledHeat : compiledOnOff;
  let week = memo.get(schedule);
  if (week === undefined) {
    week = DAY_KEYS.map((key) => {
      const points: SwitchPoint[] = [];
      for (const entry of schedule[key]) {
        // A schedule may mix kinds (the default one serves both); each zone reads only its own.
        if ('setpoint_c' in entry) {
          if (kind === 'heat') points.push({ at: minutesOfDay(entry.at), setpoint_c: entry.setpoint_c, on: true });
        } else if (kind === 'onoff') {
          points.push({ at: minutesOfDay(entry.at), setpoint_c: 0, on: entry.on });
        }
      }
      // Stable: of two entries at one time, the later in the list wins.
      return points.sort((a, b) => a.at - b.at);
    });
    memo.set(schedule, week);
  }
  return week;
}

/** The switch point in force, and when (in local minutes since 1970) this occurrence of it began. */
export interface ActiveSwitch {
  readonly setpoint_c: number;
  readonly on: boolean;
  /** Identifies this occurrence of the switch point: an override "until the next change" ends when it changes. */
  readonly since: number;
}

/** The latest switch point at or before the clock, looking back up to a week; null for an empty schedule. */
export function activeSwitch(schedule: WeeklySchedule, kind: ZoneKind, clock: ScheduleClock): ActiveSwitch | null {
  const week = compile(schedule, kind);
  const today = week[clock.weekday] ?? [];
  for (let i = today.length - 1; i >= 0; i--) {
    const point = today[i] as SwitchPoint;
    if (point.at <= clock.minutes) return { setpoint_c: point.setpoint_c, on: point.on, since: clock.day * 1440 + point.at };
  }
  for (let back = 1; back <= 7; back++) {
    const points = week[(clock.weekday - back + 7) % 7] ?? [];
    const last = points[points.length - 1];
    if (last !== undefined) return { setpoint_c: last.setpoint_c, on: last.on, since: (clock.day - back) * 1440 + last.at };
  }
  return null;
}

/** Whether every entry of a schedule suits a zone of this kind (setpoints for heat, on/off for on/off zones). */
export function scheduleFitsKind(schedule: WeeklySchedule, kind: ZoneKind): boolean {
  return DAY_KEYS.every((key) => schedule[key].every((entry) => ('setpoint_c' in entry) === (kind === 'heat')));
}
