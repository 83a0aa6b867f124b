import { SETPOINT_MAX_C, SETPOINT_MIN_C, WEEKDAYS, minutesOfDay, type ScheduleEntry, type WeeklySchedule, type Weekday, type ZoneKind } from '@boiler/shared';

/**
 * A week as the editor sees it: each day a run of blocks that covers the whole day, each block a
 * level (a setpoint in °C, or on/off for an on/off zone). The wire form (WeeklySchedule) is a list
 * of switch points per day whose first one may be after midnight, carrying the day before's last
 * level over; the editor makes every day stand alone, so a day copied elsewhere means the same there.
 */

/** The editor's step: every edge it moves lands on a quarter hour. */
export const STEP_MIN = 15;
export const DAY_MIN = 1440;
/** The most switch points a day may hold (the schema's limit). */
export const MAX_BLOCKS = 12;

/** A heating zone's block holds a setpoint (°C); an on/off zone's, whether it runs. */
export type Level = number | boolean;

export interface Block {
  /** Minutes after site midnight, inclusive. */
  start: number;
  /** Minutes after site midnight, exclusive (1440 for the day's last block). */
  end: number;
  level: Level;
}

export type DayPlan = readonly Block[];
export type WeekPlan = Readonly<Record<Weekday, DayPlan>>;

/** Monday first, as the owner reads a week. */
export const WEEK_ORDER: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
export const WORKDAYS: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri'];
export const WEEKEND: readonly Weekday[] = ['sat', 'sun'];

export const DAY_NAMES: Readonly<Record<Weekday, string>> = {
  sun: 'Sunday',
  mon: 'Monday',
  tue: 'Tuesday',
  wed: 'Wednesday',
  thu: 'Thursday',
  fri: 'Friday',
  sat: 'Saturday',
};

/** The level a day starts with when nothing before it says: cool but safe for heat, off for on/off. */
export function fallbackLevel(kind: ZoneKind): Level {
  return kind === 'heat' ? 16 : false;
}

/** Minutes as "HH:MM" (1440 reads "24:00", the end of the day). */
export function clock(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;
}

/** The nearest quarter hour, within the day. */
export function snap(minutes: number): number {
  return Math.min(DAY_MIN, Math.max(0, Math.round(minutes / STEP_MIN) * STEP_MIN));
}

function levelOf(entry: ScheduleEntry, kind: ZoneKind): Level | null {
  if ('setpoint_c' in entry) return kind === 'heat' ? entry.setpoint_c : null;
  return kind === 'onoff' ? entry.on : null;
}

/** A day's switch points of this kind as (minute, level), in order; of two at one minute the later in the list wins (as the agent reads them). */
function points(entries: readonly ScheduleEntry[], kind: ZoneKind): { at: number; level: Level }[] {
  const byMinute = new Map<number, Level>();
  for (const e of entries) {
    const level = levelOf(e, kind);
    if (level !== null) byMinute.set(minutesOfDay(e.at), level);
  }
  return [...byMinute.entries()].sort((a, b) => a[0] - b[0]).map(([at, level]) => ({ at, level }));
}

/** Reads a wire week into blocks, each day standing alone (its start carried from the days before, as the agent does). */
export function planFromWeek(week: WeeklySchedule, kind: ZoneKind): WeekPlan {
  const perDay = WEEKDAYS.map((d) => points(week[d], kind));
  const plan = {} as Record<Weekday, DayPlan>;
  WEEKDAYS.forEach((day, i) => {
    let carry: Level | null = null;
    for (let back = 1; back <= 7 && carry === null; back++) {
      const before = perDay[(i - back + 7) % 7] ?? [];
      const last = before[before.length - 1];
      if (last !== undefined) carry = last.level;
    }
    const today = perDay[i] ?? [];
    const starts = today[0]?.at === 0 ? today : [{ at: 0, level: carry ?? fallbackLevel(kind) }, ...today];
    plan[day] = starts.map((p, j) => ({ start: p.at, end: starts[j + 1]?.at ?? DAY_MIN, level: p.level }));
  });
  return plan;
}

/** The wire week for a plan: one switch point per block, at its start. `keep` adds switch points of the other kind (the default week serves both). */
export function weekFromPlan(plan: WeekPlan, keep?: WeeklySchedule, kind?: ZoneKind): WeeklySchedule {
  const week = {} as Record<Weekday, ScheduleEntry[]>;
  for (const day of WEEKDAYS) {
    const own: ScheduleEntry[] = plan[day].map((b) => (typeof b.level === 'boolean' ? { at: clock(b.start), on: b.level } : { at: clock(b.start), setpoint_c: b.level }));
    const other = keep === undefined || kind === undefined ? [] : keep[day].filter((e) => levelOf(e, kind) === null);
    week[day] = [...own, ...other];
  }
  return week as WeeklySchedule;
}

/** A week of one level all day: what an editor starts from when there is nothing to read. */
export function flatPlan(level: Level): WeekPlan {
  const day: DayPlan = [{ start: 0, end: DAY_MIN, level }];
  return { sun: day, mon: day, tue: day, wed: day, thu: day, fri: day, sat: day };
}

/** Whether two wire weeks hold the same switch points in the same order. */
export function sameWeek(a: WeeklySchedule, b: WeeklySchedule): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Whether a week has no switch points at all (a zone's empty week means "follow the default"). */
export function isEmptyWeek(week: WeeklySchedule): boolean {
  return WEEKDAYS.every((d) => week[d].length === 0);
}

/** An empty week: sent for a zone, it goes back to following the default schedule. */
export function emptyWeek(): WeeklySchedule {
  return { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };
}

/**
 * Moves edge `edge` (between block edge-1 and block edge) to `minutes`, snapped to the quarter
 * hour and kept at least one step from the blocks' other edges, so no block vanishes by a drag.
 */
export function moveEdge(day: DayPlan, edge: number, minutes: number): DayPlan {
  const before = day[edge - 1];
  const after = day[edge];
  if (before === undefined || after === undefined) return day;
  const at = Math.min(after.end - STEP_MIN, Math.max(before.start + STEP_MIN, snap(minutes)));
  if (at === after.start) return day;
  return day.map((b, i) => (i === edge - 1 ? { ...b, end: at } : i === edge ? { ...b, start: at } : b));
}

/** Moves an edge by whole steps (the ± way of a drag). */
export function nudgeEdge(day: DayPlan, edge: number, steps: number): DayPlan {
  const after = day[edge];
  if (after === undefined) return day;
  return moveEdge(day, edge, after.start + steps * STEP_MIN);
}

/** Sets one block's level. */
export function setLevel(day: DayPlan, index: number, level: Level): DayPlan {
  return day.map((b, i) => (i === index ? { ...b, level } : b));
}

/** A setpoint kept inside what the agent accepts. */
export function clampSetpoint(celsius: number): number {
  return Math.min(SETPOINT_MAX_C, Math.max(SETPOINT_MIN_C, celsius));
}

/** Whether block `index` can be split in two (it spans at least two steps, and the day has room). */
export function canSplit(day: DayPlan, index: number, room: number = MAX_BLOCKS): boolean {
  const b = day[index];
  return b !== undefined && b.end - b.start >= 2 * STEP_MIN && day.length < room;
}

/** Adds a block by splitting block `index` at its middle (on a quarter hour); the new second half starts with the same level. */
export function splitBlock(day: DayPlan, index: number, room: number = MAX_BLOCKS): DayPlan {
  const b = day[index];
  if (b === undefined || !canSplit(day, index, room)) return day;
  const middle = Math.min(b.end - STEP_MIN, Math.max(b.start + STEP_MIN, Math.floor((b.start + b.end) / 2 / STEP_MIN) * STEP_MIN));
  return [...day.slice(0, index), { ...b, end: middle }, { ...b, start: middle }, ...day.slice(index + 1)];
}

/** Removes block `index`: the block before it grows over its time (the first block: the one after it does). */
export function removeBlock(day: DayPlan, index: number): DayPlan {
  const b = day[index];
  if (b === undefined || day.length < 2) return day;
  if (index === 0) {
    const next = day[1] as Block;
    return [{ ...next, start: 0 }, ...day.slice(2)];
  }
  const prev = day[index - 1] as Block;
  return [...day.slice(0, index - 1), { ...prev, end: b.end }, ...day.slice(index + 1)];
}

/** Copies one day's blocks onto other days. */
export function copyDay(plan: WeekPlan, from: Weekday, to: readonly Weekday[]): WeekPlan {
  const next = { ...plan };
  for (const day of to) if (day !== from) next[day] = plan[from];
  return next;
}

/** Replaces one day's blocks. */
export function withDay(plan: WeekPlan, day: Weekday, blocks: DayPlan): WeekPlan {
  return { ...plan, [day]: blocks };
}

/** The block in force at a minute of a day. */
export function blockAt(day: DayPlan, minutes: number): number {
  const i = day.findIndex((b) => minutes >= b.start && minutes < b.end);
  return i < 0 ? day.length - 1 : i;
}

/** The next change after `minutes` on this day: the first later block whose level differs from the one in force, or null. */
export function nextChange(day: DayPlan, minutes: number): { at: number; level: Level } | null {
  const i = blockAt(day, minutes);
  const current = day[i];
  if (current === undefined) return null;
  for (const b of day.slice(i + 1)) if (b.level !== current.level) return { at: b.start, level: b.level };
  return null;
}
