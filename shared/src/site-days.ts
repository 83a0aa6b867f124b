import { utcOffsetMinutes, siteTime } from './time.js';

// Calendar days on the site's own clock, as UTC instants: a day runs from one local midnight to
// the next, so a day with a daylight-saving change is 23 or 25 hours long.

const DAY_MS = 24 * 3600_000;

/** One calendar day at the site: its date and the instants [start, end) it covers. */
export interface SiteDay {
  /** "YYYY-MM-DD" on the site's calendar. */
  date: string;
  start: number;
  end: number;
}

/**
 * The first instant of a calendar date in a time zone: local midnight, or where a clock change
 * skips midnight, the moment the clocks jump (the day then starts at 01:00); where midnight
 * happens twice, the first of them.
 */
export function siteDayStart(year: number, month: number, day: number, timeZone: string): number {
  const fields = Date.UTC(year, month - 1, day);
  // The offsets a day before and a day after bracket any change near midnight.
  const before = fields - utcOffsetMinutes(fields - DAY_MS, timeZone) * 60_000;
  const after = fields - utcOffsetMinutes(fields + DAY_MS, timeZone) * 60_000;
  const valid = [before, after].filter((t) => t + utcOffsetMinutes(t, timeZone) * 60_000 === fields);
  // Neither reads as midnight: midnight was skipped, and the old offset's midnight is the jump.
  return valid.length === 0 ? before : Math.min(...valid);
}

function dateText(year: number, month: number, day: number): string {
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** The site day an instant falls in. */
export function siteDayOf(epochMs: number, timeZone: string): SiteDay {
  const t = siteTime(epochMs, timeZone);
  const start = siteDayStart(t.year, t.month, t.day, timeZone);
  const next = new Date(Date.UTC(t.year, t.month - 1, t.day + 1));
  const end = siteDayStart(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
  return { date: dateText(t.year, t.month, t.day), start, end };
}

/** Every site day that [from, to) touches, in order; the first may start before `from` and the last end after `to`. */
export function siteDays(from: number, to: number, timeZone: string): SiteDay[] {
  const days: SiteDay[] = [];
  if (!(from < to)) return days;
  const t = siteTime(from, timeZone);
  let date = new Date(Date.UTC(t.year, t.month - 1, t.day));
  let start = siteDayStart(t.year, t.month, t.day, timeZone);
  let offset = utcOffsetMinutes(start, timeZone);
  while (start < to) {
    const next = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1));
    // Most days keep the offset they started with: one look at the clock confirms the next midnight.
    const guess = next.getTime() - offset * 60_000;
    const guessOffset = utcOffsetMinutes(guess, timeZone);
    const end = guessOffset === offset ? guess : siteDayStart(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
    offset = guessOffset === offset ? offset : utcOffsetMinutes(end, timeZone);
    // Never stand still, whatever a time zone's rules say.
    if (end <= start) break;
    days.push({ date: dateText(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()), start, end });
    date = next;
    start = end;
  }
  return days;
}
