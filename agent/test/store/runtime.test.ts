import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { EpochMs, ValidationError, type Preset, type WeeklySchedule } from '@boiler/shared';
import { CorruptRecordError, StoreError } from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

/** A stand-in for the engine's per-zone state: what must survive a restart. */
const ZoneRuntime = z.strictObject({
  output: z.boolean(),
  changed_at: EpochMs,
  run_started_at: EpochMs.nullable(),
  boost_until: EpochMs.nullable().default(null),
});

const SystemRuntime = z.strictObject({ away: z.boolean(), away_until: EpochMs.nullable() });

const week = (setpoint: number): WeeklySchedule => ({
  sun: [{ at: '07:00', setpoint_c: setpoint }],
  mon: [
    { at: '06:30', setpoint_c: setpoint },
    { at: '22:00', setpoint_c: 16 },
  ],
  tue: [],
  wed: [],
  thu: [],
  fri: [],
  sat: [],
});

describe('engine runtime state', () => {
  it('round-trips each zone and the system row through JSON and the caller’s schema, across a re-open', () => {
    let store = files.openStore();
    store.saveRuntime({ zone: 'Z1' }, ZoneRuntime, { output: true, changed_at: 1000, run_started_at: 1000, boost_until: null }, 1000);
    store.saveRuntime({ zone: 'Z2' }, ZoneRuntime, { output: false, changed_at: 500, run_started_at: null }, 1000);
    store.saveRuntime('system', SystemRuntime, { away: true, away_until: 9000 }, 1000);
    // A zone may be called "system"; it must not collide with the system row.
    store.saveRuntime({ zone: 'system' }, ZoneRuntime, { output: false, changed_at: 1, run_started_at: null, boost_until: 5 }, 1000);
    store.close();
    store = files.openStore();
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)).toEqual({ output: true, changed_at: 1000, run_started_at: 1000, boost_until: null });
    // The schema's default fills what the saved state left out: the value came through the schema.
    expect(store.loadRuntime({ zone: 'Z2' }, ZoneRuntime)).toEqual({ output: false, changed_at: 500, run_started_at: null, boost_until: null });
    expect(store.loadRuntime('system', SystemRuntime)).toEqual({ away: true, away_until: 9000 });
    expect(store.loadRuntime({ zone: 'system' }, ZoneRuntime)?.boost_until).toBe(5);
    expect(store.loadRuntime({ zone: 'Z3' }, ZoneRuntime)).toBeNull();
    expect([...store.loadZoneRuntimes(ZoneRuntime).keys()]).toEqual(['Z1', 'Z2', 'system']);
  });

  it('replaces a saved state and forgets a deleted one', () => {
    const store = files.openStore();
    store.saveRuntime({ zone: 'Z1' }, ZoneRuntime, { output: true, changed_at: 1, run_started_at: 1 }, 1);
    store.saveRuntime({ zone: 'Z1' }, ZoneRuntime, { output: false, changed_at: 2, run_started_at: null }, 2);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)?.output).toBe(false);
    expect(store.deleteRuntime({ zone: 'Z1' })).toBe(true);
    expect(store.deleteRuntime({ zone: 'Z1' })).toBe(false);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)).toBeNull();
  });

  it('refuses stored JSON of the wrong shape, and stored text that is not JSON', () => {
    const store = files.openStore();
    store.saveRuntime({ zone: 'Z1' }, ZoneRuntime, { output: true, changed_at: 1, run_started_at: null }, 1);
    store.saveRuntime('system', SystemRuntime, { away: false, away_until: null }, 1);
    const raw = files.raw();
    raw.prepare(`UPDATE runtime SET state = '{"output":"yes","changed_at":1,"run_started_at":null}' WHERE zone = 'Z1'`).run();
    expect(() => store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)).toThrow(CorruptRecordError);
    expect(() => store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)).toThrow(/runtime state of zone Z1.*output/s);
    expect(() => store.loadZoneRuntimes(ZoneRuntime)).toThrow(CorruptRecordError);
    // The JSON CHECK keeps this out in normal use; a damaged file gets past it.
    raw.pragma('ignore_check_constraints = ON');
    raw.prepare(`UPDATE runtime SET state = '{"away": tru' WHERE scope = 'system'`).run();
    expect(() => store.loadRuntime('system', SystemRuntime)).toThrow(/system runtime state is unreadable: not JSON/);
  });

  it('refuses to save a state that would not read back, and keeps the old one', () => {
    const store = files.openStore();
    store.saveRuntime({ zone: 'Z1' }, ZoneRuntime, { output: true, changed_at: 1, run_started_at: null }, 1);
    // NaN becomes null in JSON, which the schema would refuse on the way back in.
    expect(() => store.saveRuntime({ zone: 'Z1' }, ZoneRuntime, { output: true, changed_at: Number.NaN, run_started_at: null }, 2)).toThrow(StoreError);
    expect(() => store.saveRuntime({ zone: 'bad zone!' }, ZoneRuntime, { output: true, changed_at: 1, run_started_at: null }, 2)).toThrow(ValidationError);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)?.changed_at).toBe(1);
  });
});

describe('schedules', () => {
  it('sets, replaces, lists and deletes zone and default schedules', () => {
    const store = files.openStore();
    expect(store.getSchedule('default')).toBeNull();
    store.setSchedule('default', week(20), 1);
    store.setSchedule('Z1', week(21), 1);
    store.setSchedule('Z1', week(22), 2);
    expect(store.getSchedule('Z1')).toEqual(week(22));
    expect(store.getSchedule('default')).toEqual(week(20));
    expect([...store.listSchedules().entries()]).toEqual([
      ['Z1', week(22)],
      ['default', week(20)],
    ]);
    expect(store.deleteSchedule('Z1')).toBe(true);
    expect(store.deleteSchedule('Z1')).toBe(false);
    expect(store.getSchedule('Z1')).toBeNull();
  });

  it('refuses an invalid schedule and detects a corrupt stored one', () => {
    const store = files.openStore();
    expect(() => store.setSchedule('Z1', { ...week(20), sun: [{ at: '25:00', setpoint_c: 20 }] }, 1)).toThrow(ValidationError);
    expect(() => store.setSchedule('Z1', week(99), 1)).toThrow(ValidationError);
    expect(store.getSchedule('Z1')).toBeNull();
    store.setSchedule('Z1', week(20), 1);
    files.raw().prepare(`UPDATE schedules SET schedule = '{"sun":[]}'`).run();
    expect(() => store.getSchedule('Z1')).toThrow(CorruptRecordError);
  });
});

describe('presets', () => {
  it('saves, replaces, lists by name and deletes presets', () => {
    const store = files.openStore();
    const vacation: Preset = { name: 'Vacation', schedule: week(12), saved_at: 10 };
    const ski: Preset = { name: 'Ski week', schedule: week(21), saved_at: 11 };
    store.savePreset(vacation);
    store.savePreset(ski);
    store.savePreset({ ...vacation, schedule: week(10), saved_at: 12 });
    expect(store.getPreset('Vacation')).toEqual({ name: 'Vacation', schedule: week(10), saved_at: 12 });
    expect(store.listPresets().map((p) => p.name)).toEqual(['Ski week', 'Vacation']);
    expect(store.deletePreset('Ski week')).toBe(true);
    expect(store.deletePreset('Ski week')).toBe(false);
    expect(store.getPreset('Ski week')).toBeNull();
    expect(() => store.savePreset({ name: '', schedule: week(10), saved_at: 1 })).toThrow(ValidationError);
  });
});
