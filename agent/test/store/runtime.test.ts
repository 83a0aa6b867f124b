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
    store.saveRuntime({ zone: 'Z1' }, { output: true, changed_at: 1000, run_started_at: 1000, boost_until: null }, 1000);
    store.saveRuntime({ zone: 'Z2' }, { output: false, changed_at: 500, run_started_at: null }, 1000);
    store.saveRuntime('system', { away: true, away_until: 9000 }, 1000);
    // A zone may be called "system"; it must not collide with the system row.
    store.saveRuntime({ zone: 'system' }, { output: false, changed_at: 1, run_started_at: null, boost_until: 5 }, 1000);
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
    store.saveRuntime({ zone: 'Z1' }, { output: true, changed_at: 1, run_started_at: 1 }, 1);
    store.saveRuntime({ zone: 'Z1' }, { output: false, changed_at: 2, run_started_at: null }, 2);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)?.output).toBe(false);
    expect(store.deleteRuntime({ zone: 'Z1' })).toBe(true);
    expect(store.deleteRuntime({ zone: 'Z1' })).toBe(false);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)).toBeNull();
  });

  it('refuses stored JSON of the wrong shape, and stored text that is not JSON', () => {
    const store = files.openStore();
    store.saveRuntime({ zone: 'Z1' }, { output: true, changed_at: 1, run_started_at: null }, 1);
    store.saveRuntime('system', { away: false, away_until: null }, 1);
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
    store.saveRuntime({ zone: 'Z1' }, { output: true, changed_at: 1, run_started_at: null }, 1);
    // NaN becomes null in JSON, which the schema would refuse on the way back in.
    expect(() => store.saveRuntime({ zone: 'Z1' }, { output: true, changed_at: Number.NaN, run_started_at: null }, 2)).toThrow(StoreError);
    expect(() => store.saveRuntime({ zone: 'bad zone!' }, { output: true, changed_at: 1, run_started_at: null }, 2)).toThrow(ValidationError);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneRuntime)?.changed_at).toBe(1);
  });
});

describe('schedules', () => {
  it('sets, replaces and loads zone and default schedules; a zone may follow the default (null)', () => {
    const store = files.openStore();
    expect(store.loadSettings()).toEqual({ settings: { default_schedule: null, zone_schedules: new Map(), presets: [] }, unreadable: [] });
    store.setSchedule('default', week(20), 1);
    store.setSchedule('Z1', week(21), 1);
    store.setSchedule('Z1', week(22), 2);
    store.setSchedule('Z2', null, 2);
    const { settings } = store.loadSettings();
    expect(settings.zone_schedules.get('Z1')).toEqual(week(22));
    expect(settings.default_schedule).toEqual(week(20));
    expect([...settings.zone_schedules.entries()]).toEqual([
      ['Z1', week(22)],
      ['Z2', null],
    ]);
    store.setSchedule('Z1', null, 3);
    expect(store.loadSettings().settings.zone_schedules.get('Z1')).toBeNull();
    expect(() => store.setSchedule('default', null, 3)).toThrow(StoreError);
  });

  it('refuses an invalid schedule, and loads each stored row on its own, naming a corrupt one', () => {
    const store = files.openStore();
    expect(() => store.setSchedule('Z1', { ...week(20), sun: [{ at: '25:00', setpoint_c: 20 }] }, 1)).toThrow(ValidationError);
    expect(() => store.setSchedule('Z1', week(99), 1)).toThrow(ValidationError);
    expect(() => store.setSchedule('bad zone!', week(20), 1)).toThrow(ValidationError);
    expect(store.loadSettings().settings.zone_schedules.has('Z1')).toBe(false);
    store.setSchedule('Z1', week(20), 1);
    store.setSchedule('Z2', week(21), 1);
    files.raw().prepare(`UPDATE schedules SET schedule = '{"sun":[]}' WHERE target = 'Z1'`).run();
    const { settings, unreadable } = store.loadSettings();
    expect(unreadable).toEqual([expect.stringMatching(/^schedule of Z1: /)]);
    expect([...settings.zone_schedules.keys()]).toEqual(['Z2']);
  });

  it('rolls back with the transaction it is written in', () => {
    const store = files.openStore();
    expect(() =>
      store.transaction(() => {
        store.setSchedule('Z1', week(20), 1);
        store.savePreset({ name: 'Cosy', schedule: week(21), saved_at: 1 });
        throw new Error('event append failed');
      }),
    ).toThrow('event append failed');
    expect(store.loadSettings().settings).toEqual({ default_schedule: null, zone_schedules: new Map(), presets: [] });
  });
});

describe('presets', () => {
  it('saves, replaces (as the newest) and deletes presets, loading them in the order they were saved', () => {
    const store = files.openStore();
    const vacation: Preset = { name: 'Vacation', schedule: week(12), saved_at: 10 };
    const ski: Preset = { name: 'Ski week', schedule: week(21), saved_at: 11 };
    const presets = () => store.loadSettings().settings.presets;
    store.savePreset(vacation);
    store.savePreset(ski);
    expect(presets().map((p) => p.name)).toEqual(['Vacation', 'Ski week']);
    store.savePreset({ ...vacation, schedule: week(10), saved_at: 12 });
    expect(presets().find((p) => p.name === 'Vacation')).toEqual({ name: 'Vacation', schedule: week(10), saved_at: 12 });
    expect(presets().map((p) => p.name)).toEqual(['Ski week', 'Vacation']);
    expect(store.deletePreset('Ski week')).toBe(true);
    expect(store.deletePreset('Ski week')).toBe(false);
    expect(presets().map((p) => p.name)).toEqual(['Vacation']);
    expect(() => store.savePreset({ name: '', schedule: week(10), saved_at: 1 })).toThrow(ValidationError);
  });

  it('leaves out a corrupt preset and names it', () => {
    const store = files.openStore();
    store.savePreset({ name: 'Cosy', schedule: week(12), saved_at: 10 });
    store.savePreset({ name: 'Broken', schedule: week(12), saved_at: 10 });
    files.raw().prepare(`UPDATE presets SET schedule = '12' WHERE name = 'Broken'`).run();
    const { settings, unreadable } = store.loadSettings();
    expect(settings.presets.map((p) => p.name)).toEqual(['Cosy']);
    expect(unreadable).toEqual([expect.stringMatching(/^preset Broken: /)]);
  });
});

describe('replacing every schedule and preset', () => {
  it('leaves exactly what it is given', () => {
    const store = files.openStore();
    store.setSchedule('Z9', week(19), 1);
    store.savePreset({ name: 'Old', schedule: week(12), saved_at: 1 });
    const settings = {
      default_schedule: week(20),
      zone_schedules: new Map<string, WeeklySchedule | null>([
        ['Z1', week(21)],
        ['Z2', null],
      ]),
      presets: [
        { name: 'B', schedule: week(22), saved_at: 2 },
        { name: 'A', schedule: week(23), saved_at: 3 },
      ],
    };
    store.replaceSettings(settings, 5);
    expect(store.loadSettings()).toEqual({ settings, unreadable: [] });
  });
});
