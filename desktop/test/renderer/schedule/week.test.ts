import { describe, expect, it } from 'vitest';
import { WeeklySchedule } from '@boiler/shared';
import {
  DAY_MIN,
  WORKDAYS,
  canSplit,
  clock,
  copyDay,
  emptyWeek,
  flatPlan,
  isEmptyWeek,
  moveEdge,
  nextChange,
  nudgeEdge,
  planFromWeek,
  removeBlock,
  setLevel,
  snap,
  splitBlock,
  weekFromPlan,
  withDay,
  type DayPlan,
} from '../../../src/renderer/src/schedule/week.js';

const workday: DayPlan = [
  { start: 0, end: 360, level: 16.5 },
  { start: 360, end: 510, level: 20 },
  { start: 510, end: 1020, level: 17 },
  { start: 1020, end: DAY_MIN, level: 20.5 },
];

describe('snap and clock', () => {
  it('rounds to the nearest quarter hour within the day', () => {
    expect(snap(367)).toBe(360);
    expect(snap(368)).toBe(375);
    expect(snap(-20)).toBe(0);
    expect(snap(1500)).toBe(DAY_MIN);
  });
  it('writes minutes as HH:MM', () => {
    expect(clock(0)).toBe('00:00');
    expect(clock(375)).toBe('06:15');
    expect(clock(DAY_MIN)).toBe('24:00');
  });
});

describe('planFromWeek', () => {
  it('carries the day before into a day whose first switch point is after midnight', () => {
    const week: WeeklySchedule = { ...emptyWeek(), sun: [{ at: '22:00', setpoint_c: 15 }], mon: [{ at: '06:00', setpoint_c: 20 }] };
    const plan = planFromWeek(week, 'heat');
    expect(plan.mon).toEqual([
      { start: 0, end: 360, level: 15 },
      { start: 360, end: DAY_MIN, level: 20 },
    ]);
    // Tuesday has nothing of its own: Monday's last level, all day.
    expect(plan.tue).toEqual([{ start: 0, end: DAY_MIN, level: 20 }]);
    // Sunday looks back across the week to Monday.
    expect(plan.sun[0]).toEqual({ start: 0, end: 1320, level: 20 });
  });

  it('reads only the zone kind\'s switch points, and of two at one time the later', () => {
    const week: WeeklySchedule = {
      ...emptyWeek(),
      mon: [
        { at: '00:00', setpoint_c: 18 },
        { at: '07:00', on: true },
        { at: '08:00', setpoint_c: 19 },
        { at: '08:00', setpoint_c: 21 },
      ],
    };
    expect(planFromWeek(week, 'heat').mon).toEqual([
      { start: 0, end: 480, level: 18 },
      { start: 480, end: DAY_MIN, level: 21 },
    ]);
    // The on/off zone's only switch point is 07:00: the week carries it round to Monday's start.
    expect(planFromWeek(week, 'onoff').mon).toEqual([
      { start: 0, end: 420, level: true },
      { start: 420, end: DAY_MIN, level: true },
    ]);
  });

  it('round-trips: a plan written and read again is the same plan, and the written week passes the schema', () => {
    const plan = withDay(flatPlan(17), 'mon', workday);
    const week = weekFromPlan(plan);
    expect(WeeklySchedule.safeParse(week).success).toBe(true);
    expect(week.mon).toEqual([
      { at: '00:00', setpoint_c: 16.5 },
      { at: '06:00', setpoint_c: 20 },
      { at: '08:30', setpoint_c: 17 },
      { at: '17:00', setpoint_c: 20.5 },
    ]);
    expect(planFromWeek(week, 'heat')).toEqual(plan);
  });

  it('keeps the other kind\'s switch points when asked (the default week serves both kinds)', () => {
    const keep: WeeklySchedule = { ...emptyWeek(), tue: [{ at: '05:00', on: true }, { at: '06:00', setpoint_c: 19 }] };
    const week = weekFromPlan(flatPlan(18), keep, 'heat');
    expect(week.tue).toEqual([{ at: '00:00', setpoint_c: 18 }, { at: '05:00', on: true }]);
  });
});

describe('block edits', () => {
  it('moves an edge to the nearest quarter hour, both neighbours following', () => {
    const moved = moveEdge(workday, 1, 397);
    expect(moved[0]).toEqual({ start: 0, end: 390, level: 16.5 });
    expect(moved[1]).toEqual({ start: 390, end: 510, level: 20 });
    expect(moved.slice(2)).toEqual(workday.slice(2));
  });

  it('never lets a drag swallow a block: an edge stops one step short of the next', () => {
    expect(moveEdge(workday, 1, 900)[1]).toEqual({ start: 495, end: 510, level: 20 });
    expect(moveEdge(workday, 1, -100)[0]).toEqual({ start: 0, end: 15, level: 16.5 });
  });

  it('leaves the day alone for an edge that does not exist (midnight is fixed)', () => {
    expect(moveEdge(workday, 0, 100)).toBe(workday);
    expect(moveEdge(workday, 4, 100)).toBe(workday);
  });

  it('± moves an edge by quarter hours, the same as dragging it there', () => {
    expect(nudgeEdge(workday, 2, 1)).toEqual(moveEdge(workday, 2, 525));
    expect(nudgeEdge(workday, 2, -2)[2]?.start).toBe(480);
  });

  it('sets one block\'s level', () => {
    expect(setLevel(workday, 2, 18)[2]?.level).toBe(18);
    expect(setLevel(workday, 2, 18)[1]).toEqual(workday[1]);
  });

  it('adds a block by splitting one at a quarter hour near its middle', () => {
    const split = splitBlock(workday, 1); // 06:00 to 08:30
    expect(split).toHaveLength(5);
    expect(split[1]).toEqual({ start: 360, end: 435, level: 20 });
    expect(split[2]).toEqual({ start: 435, end: 510, level: 20 });
    expect(split[3]).toEqual(workday[2]);
  });

  it('will not split a quarter-hour block, nor past the day\'s limit of switch points', () => {
    const short: DayPlan = [{ start: 0, end: 15, level: 18 }, { start: 15, end: DAY_MIN, level: 19 }];
    expect(canSplit(short, 0)).toBe(false);
    expect(splitBlock(short, 0)).toBe(short);
    expect(canSplit(workday, 0, 4)).toBe(false);
  });

  it('removes a block into the one before it, or the first into the one after', () => {
    expect(removeBlock(workday, 2)).toEqual([workday[0], { start: 360, end: 1020, level: 20 }, workday[3]]);
    expect(removeBlock(workday, 0)).toEqual([{ start: 0, end: 510, level: 20 }, workday[2], workday[3]]);
    const single: DayPlan = [{ start: 0, end: DAY_MIN, level: 18 }];
    expect(removeBlock(single, 0)).toBe(single);
  });

  it('keeps every day covering the whole day through any series of edits', () => {
    let day: DayPlan = workday;
    day = splitBlock(day, 3);
    day = nudgeEdge(day, 4, 3);
    day = removeBlock(day, 1);
    day = moveEdge(day, 1, 611);
    expect(day[0]?.start).toBe(0);
    expect(day[day.length - 1]?.end).toBe(DAY_MIN);
    for (let i = 1; i < day.length; i++) {
      expect(day[i]?.start).toBe(day[i - 1]?.end);
      expect((day[i]?.start ?? 1) % 15).toBe(0);
    }
  });
});

describe('copyDay', () => {
  it('copies Monday onto Tuesday to Friday and leaves the weekend', () => {
    const plan = withDay(flatPlan(17), 'mon', workday);
    const copied = copyDay(plan, 'mon', WORKDAYS);
    for (const d of WORKDAYS) expect(copied[d]).toEqual(workday);
    expect(copied.sat).toEqual(plan.sat);
    expect(copied.sun).toEqual(plan.sun);
    // The source plan is untouched.
    expect(plan.tue).toEqual([{ start: 0, end: DAY_MIN, level: 17 }]);
  });
});

describe('nextChange', () => {
  it('names the next block with another level after now', () => {
    expect(nextChange(workday, 400)).toEqual({ at: 510, level: 17 });
    expect(nextChange(workday, 1100)).toBeNull();
  });
  it('skips a following block at the same level', () => {
    const day: DayPlan = [{ start: 0, end: 60, level: 18 }, { start: 60, end: 120, level: 18 }, { start: 120, end: DAY_MIN, level: 20 }];
    expect(nextChange(day, 0)).toEqual({ at: 120, level: 20 });
  });
});

describe('emptyWeek', () => {
  it('is the empty week that means "follow the default"', () => {
    expect(isEmptyWeek(emptyWeek())).toBe(true);
    expect(isEmptyWeek(weekFromPlan(flatPlan(18)))).toBe(false);
  });
});
