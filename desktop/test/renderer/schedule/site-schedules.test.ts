import { describe, expect, it } from 'vitest';
import type { WeeklySchedule } from '@boiler/shared';
import { applyConfirmed, reflects, type SiteSchedules } from '../../../src/renderer/src/schedule/site-schedules.js';
import { emptyWeek } from '../../../src/renderer/src/schedule/week.js';
import { stepLevel } from '../../../src/renderer/src/schedule/level.js';

const warm: WeeklySchedule = { ...emptyWeek(), mon: [{ at: '00:00', setpoint_c: 20 }] };
const cool: WeeklySchedule = { ...emptyWeek(), mon: [{ at: '00:00', setpoint_c: 16 }] };
const site: SiteSchedules = { weeks: new Map([['default', cool]]), presets: [] };

describe('applyConfirmed and reflects', () => {
  it('a zone given a week has it; an empty week sends it back to the default', () => {
    const set = applyConfirmed(site, { type: 'schedule_set', zone: 'Z3', schedule: warm }, 1);
    expect(set.weeks.get('Z3')).toEqual(warm);
    expect(reflects(site, { type: 'schedule_set', zone: 'Z3', schedule: warm })).toBe(false);
    expect(reflects(set, { type: 'schedule_set', zone: 'Z3', schedule: warm })).toBe(true);
    const back = applyConfirmed(set, { type: 'schedule_set', zone: 'Z3', schedule: emptyWeek() }, 2);
    expect(back.weeks.has('Z3')).toBe(false);
    expect(back.weeks.get('default')).toEqual(cool);
  });

  it('the default week is set, never removed, by an empty week', () => {
    const set = applyConfirmed(site, { type: 'schedule_set', zone: 'default', schedule: emptyWeek() }, 1);
    expect(set.weeks.get('default')).toEqual(emptyWeek());
  });

  it('a preset saved, applied to zones and deleted', () => {
    const saved = applyConfirmed(site, { type: 'preset_save', name: 'Ski', schedule: warm }, 5);
    expect(saved.presets).toEqual([{ name: 'Ski', schedule: warm, saved_at: 5 }]);
    // A listing with another saved_at still shows the same preset.
    expect(reflects({ ...saved, presets: [{ name: 'Ski', schedule: warm, saved_at: 9 }] }, { type: 'preset_save', name: 'Ski', schedule: warm })).toBe(true);
    const applied = applyConfirmed(saved, { type: 'preset_apply', name: 'Ski', zones: ['Z5', 'Z6'] }, 6);
    expect(applied.weeks.get('Z5')).toEqual(warm);
    expect(applied.weeks.get('Z6')).toEqual(warm);
    expect(reflects(saved, { type: 'preset_apply', name: 'Ski', zones: ['Z5', 'Z6'] })).toBe(false);
    const deleted = applyConfirmed(applied, { type: 'preset_delete', name: 'Ski' }, 7);
    expect(deleted.presets).toEqual([]);
    expect(reflects(applied, { type: 'preset_delete', name: 'Ski' })).toBe(false);
    expect(reflects(deleted, { type: 'preset_delete', name: 'Ski' })).toBe(true);
  });

  it('other commands change nothing here', () => {
    expect(applyConfirmed(site, { type: 'home' }, 1)).toBe(site);
  });
});

describe('stepLevel', () => {
  it('steps a setpoint by one whole °F or half a °C, within the allowed range', () => {
    expect(stepLevel(20, 1, 'F')).toBe(20.56); // 20 °C is 68 °F; one up is 69 °F
    expect(stepLevel(20, -1, 'C')).toBe(19.5);
    expect(stepLevel(32, 1, 'C')).toBe(32);
    expect(stepLevel(5, -1, 'F')).toBe(5);
  });
  it('flips an on/off block', () => {
    expect(stepLevel(false, 1, 'F')).toBe(true);
    expect(stepLevel(true, -1, 'F')).toBe(false);
  });
});
