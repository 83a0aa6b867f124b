import { z } from 'zod';

/** A UTC instant in epoch milliseconds; every timestamp in the database and on the wire is one. */
export const EpochMs = z.number().int().min(0).max(8_640_000_000_000_000);
export type EpochMs = z.infer<typeof EpochMs>;

/** A monotonically increasing event sequence number, starting at 1. */
export const Seq = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

/** A clock time of day in the site's own zone, "HH:MM". */
export const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (00:00 to 23:59)');

/** Minutes after local midnight for an "HH:MM" clock time. */
export function minutesOfDay(clock: string): number {
  const [h, m] = clock.split(':');
  return Number(h) * 60 + Number(m);
}

export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** The wall-clock reading of an instant in an IANA time zone. */
export interface SiteTime {
  year: number;
  month: number;
  day: number;
  weekday: Weekday;
  /** Minutes after local midnight. */
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      weekday: 'short',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether the runtime knows this IANA time zone. */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Reads an instant as the site's wall clock (DST handled by the runtime's tz database). */
export function siteTime(epochMs: number, timeZone: string): SiteTime {
  const parts = formatterFor(timeZone).formatToParts(new Date(epochMs));
  const get = (type: Intl.DateTimeFormatPartTypes): string => parts.find((p) => p.type === type)?.value ?? '';
  const weekday = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  return {
    year: Number(get('year')),
    month: Number(get('month')),
    day: Number(get('day')),
    weekday,
    minutes: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

/** The zone's UTC offset in minutes at an instant (e.g. -420 for America/Denver in winter). */
export function utcOffsetMinutes(epochMs: number, timeZone: string): number {
  const t = siteTime(epochMs, timeZone);
  const asUtc = Date.UTC(t.year, t.month - 1, t.day, Math.floor(t.minutes / 60), t.minutes % 60);
  const floored = epochMs - (((epochMs % 60_000) + 60_000) % 60_000);
  return Math.round((asUtc - floored) / 60_000);
}
