import { describe, it, expect } from 'vitest';
import type { WeeklySchedule } from '@boiler/shared';
import { activeSwitch, scheduleClock, scheduleFitsKind } from '../../src/control/schedule.js';
import { zoneStatesOf } from '../../src/control/snapshot.js';
import { configOf, everyDay, heatZone, ok, readingsOf, Rig, EMPTY_WEEK } from './rig.js';

const DENVER = 'America/Denver';
const MIN = 60_000;

/** Walks minute by minute and records every change of the heat setpoint in force. */
function setpointChanges(schedule: WeeklySchedule, fromUtc: number, toUtc: number): { at: string; setpoint: number | null }[] {
  const changes: { at: string; setpoint: number | null }[] = [];
  let last: number | null | undefined;
  for (let t = fromUtc; t <= toUtc; t += MIN) {
    const setpoint = activeSwitch(schedule, 'heat', scheduleClock(t, DENVER))?.setpoint_c ?? null;
    if (setpoint !== last) changes.push({ at: new Date(t).toISOString().slice(11, 16), setpoint });
    last = setpoint;
  }
  return changes;
}

describe('scheduleClock', () => {
  it('reads a winter weekday in Denver', () => {
    const clock = scheduleClock(Date.UTC(2026, 0, 14, 17, 0), DENVER); // Wed 10:00 MST
    expect(clock.weekday).toBe(3);
    expect(clock.minutes).toBe(600);
  });

  it('reads a summer instant with the daylight offset', () => {
    const clock = scheduleClock(Date.UTC(2026, 6, 4, 18, 30), DENVER); // Sat 12:30 MDT
    expect(clock.weekday).toBe(6);
    expect(clock.minutes).toBe(750);
  });

  it('gives 2026-03-08 23 hours and 2026-11-01 25 hours', () => {
    const dayLength = (fromUtc: number): number => {
      const start = scheduleClock(fromUtc, DENVER).day;
      let t = fromUtc;
      while (scheduleClock(t, DENVER).day === start) t += MIN;
      let end = t;
      while (scheduleClock(end, DENVER).day === start + 1) end += MIN;
      return (end - t) / 3_600_000;
    };
    // Start the afternoon before so the first midnight is crossed at its real instant.
    expect(dayLength(Date.UTC(2026, 2, 7, 20, 0))).toBe(23);
    expect(dayLength(Date.UTC(2026, 9, 31, 20, 0))).toBe(25);
    expect(dayLength(Date.UTC(2026, 0, 13, 20, 0))).toBe(24);
  });

  it('never runs backwards through the fall-back night', () => {
    let previous = scheduleClock(Date.UTC(2026, 10, 1, 5, 0), DENVER);
    for (let t = Date.UTC(2026, 10, 1, 5, 1); t <= Date.UTC(2026, 10, 1, 11, 0); t += MIN) {
      const clock = scheduleClock(t, DENVER);
      expect(clock.day * 1440 + clock.minutes).toBeGreaterThanOrEqual(previous.day * 1440 + previous.minutes);
      previous = clock;
    }
  });

  it('holds the repeated hour at 01:59 during its second pass', () => {
    expect(scheduleClock(Date.UTC(2026, 10, 1, 7, 59), DENVER).minutes).toBe(119); // 01:59 MDT
    expect(scheduleClock(Date.UTC(2026, 10, 1, 8, 0), DENVER).minutes).toBe(119); // 01:00 MST, second pass
    expect(scheduleClock(Date.UTC(2026, 10, 1, 8, 45), DENVER).minutes).toBe(119);
    expect(scheduleClock(Date.UTC(2026, 10, 1, 9, 0), DENVER).minutes).toBe(120); // 02:00 MST
  });

  it('handles a half-hour zone and a zone without daylight saving', () => {
    expect(scheduleClock(Date.UTC(2026, 0, 14, 17, 0), 'Asia/Kolkata').minutes).toBe(22 * 60 + 30);
    expect(scheduleClock(Date.UTC(2026, 6, 14, 17, 0), 'America/Phoenix').minutes).toBe(10 * 60);
  });
});

describe('activeSwitch across daylight-saving nights', () => {
  it('spring forward: a switch point in the skipped hour takes effect at the jump', () => {
    const schedule = { ...EMPTY_WEEK, sun: [{ at: '00:00', setpoint_c: 15 }, { at: '02:30', setpoint_c: 20 }, { at: '06:00', setpoint_c: 22 }] };
    // 2026-03-08: 01:59 MST is 08:59 UTC; the next minute is 03:00 MDT.
    expect(setpointChanges(schedule, Date.UTC(2026, 2, 8, 7, 0), Date.UTC(2026, 2, 8, 13, 0))).toEqual([
      { at: '07:00', setpoint: 15 },
      { at: '09:00', setpoint: 20 },
      { at: '12:00', setpoint: 22 }, // 06:00 MDT
    ]);
  });

  it('fall back: a switch point in the repeated hour fires once and is not undone', () => {
    const schedule = { ...EMPTY_WEEK, sun: [{ at: '00:00', setpoint_c: 15 }, { at: '01:30', setpoint_c: 20 }, { at: '02:00', setpoint_c: 22 }] };
    // 2026-11-01: 01:30 MDT is 07:30 UTC; 01:00-01:59 repeats as MST from 08:00 UTC; 02:00 MST is 09:00 UTC.
    expect(setpointChanges(schedule, Date.UTC(2026, 10, 1, 6, 30), Date.UTC(2026, 10, 1, 10, 0))).toEqual([
      { at: '06:30', setpoint: 15 },
      { at: '07:30', setpoint: 20 },
      { at: '09:00', setpoint: 22 },
    ]);
  });

  it('spring forward: a zone whose switch point is in the skipped hour starts heating at the jump', () => {
    const config = configOf([heatZone('Z1', { schedule: { ...EMPTY_WEEK, sun: [{ at: '00:00', setpoint_c: 15 }, { at: '02:30', setpoint_c: 21 }] } })]);
    const rig = new Rig(config, Date.UTC(2026, 2, 8, 8, 58)); // 01:58 MST
    const cool = readingsOf({ Z1: { room: ok(19), pipe: ok(30) } });
    rig.tick(cool);
    rig.advance(60);
    rig.tick(cool); // 01:59 MST
    expect(rig.output('valve-Z1')).toBe(false);
    rig.advance(60);
    rig.tick(cool); // 03:00 MDT
    expect(rig.output('valve-Z1')).toBe(true);
  });

  it('fall back: an override until the next change ends at the first 01:30 and stays ended', () => {
    const config = configOf([heatZone('Z1')], {
      default_schedule: { ...EMPTY_WEEK, sun: [{ at: '00:00', setpoint_c: 15 }, { at: '01:30', setpoint_c: 16 }] },
    });
    const rig = new Rig(config, Date.UTC(2026, 10, 1, 7, 0)); // 01:00 MDT
    const warm = readingsOf({ Z1: { room: ok(18), pipe: ok(30) } });
    rig.tick(warm);
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 25, override: 'next_change' });
    rig.advance(60);
    rig.tick(warm);
    expect(rig.zone('Z1').override?.setpoint_c).toBe(25);
    rig.wall = Date.UTC(2026, 10, 1, 7, 30);
    rig.tick(warm);
    expect(rig.zone('Z1').override).toBeNull();
    // Through the second pass of 01:00-01:59 the zone stays on the 01:30 entry.
    for (let t = Date.UTC(2026, 10, 1, 8, 0); t < Date.UTC(2026, 10, 1, 9, 0); t += 5 * MIN) {
      rig.wall = t;
      rig.mono += 5 * MIN;
      rig.tick(warm);
      expect(zoneStatesOf(config, rig.state, warm, rig.now())[0]?.setpoint_c).toBe(16);
    }
  });
});

describe('activeSwitch', () => {
  const wed10 = scheduleClock(Date.UTC(2026, 0, 14, 17, 0), DENVER);

  it('takes the latest entry at or before now, whatever order the list is in', () => {
    const schedule = everyDay([{ at: '17:00', setpoint_c: 21 }, { at: '06:00', setpoint_c: 19 }, { at: '22:00', setpoint_c: 16 }]);
    expect(activeSwitch(schedule, 'heat', wed10)?.setpoint_c).toBe(19);
  });

  it('looks back to earlier days when today has not switched yet', () => {
    const schedule = { ...EMPTY_WEEK, mon: [{ at: '22:00', setpoint_c: 17 }], wed: [{ at: '11:00', setpoint_c: 21 }] };
    const active = activeSwitch(schedule, 'heat', wed10);
    expect(active?.setpoint_c).toBe(17);
    expect(active?.since).toBe((wed10.day - 2) * 1440 + 22 * 60);
  });

  it('wraps to last week for a single entry later in the week', () => {
    const schedule = { ...EMPTY_WEEK, fri: [{ at: '08:00', setpoint_c: 18 }] };
    expect(activeSwitch(schedule, 'heat', wed10)?.since).toBe((wed10.day - 5) * 1440 + 8 * 60);
  });

  it('is null for an empty week', () => {
    expect(activeSwitch(EMPTY_WEEK, 'heat', wed10)).toBeNull();
  });

  it('lets the later of two entries at one time win', () => {
    const schedule = everyDay([{ at: '06:00', setpoint_c: 19 }, { at: '06:00', setpoint_c: 23 }]);
    expect(activeSwitch(schedule, 'heat', wed10)?.setpoint_c).toBe(23);
  });

  it('reads only the entries of its kind from a mixed week', () => {
    const schedule = everyDay([{ at: '06:00', setpoint_c: 19 }, { at: '09:00', on: true }, { at: '09:30', on: false }]);
    expect(activeSwitch(schedule, 'heat', wed10)?.setpoint_c).toBe(19);
    expect(activeSwitch(schedule, 'onoff', wed10)?.on).toBe(false);
    expect(scheduleFitsKind(schedule, 'heat')).toBe(false);
    expect(scheduleFitsKind(everyDay([{ at: '06:00', on: true }]), 'onoff')).toBe(true);
  });
});
