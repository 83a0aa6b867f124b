import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ValidationError } from '@boiler/shared';
import {
  ENGINE_STATE_VERSION,
  EngineState,
  STATE_UPGRADES,
  StateUpgradeError,
  freshStateKeeping,
  initialState,
  salvageSettings,
  savedStateOf,
  upgradeEngineState,
  withSettings,
} from '../../src/control/index.js';
import { configOf, everyDay, heatZone, onOffZone, WED_10AM } from './rig.js';

/** Saved states as older agents wrote them: v0 has no version (hand-written or pre-release), v1 is what the first landed agent saved. */
function fixture(version: 0 | 1): Record<string, unknown> {
  return JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', `state-v${version}.json`), 'utf8')) as Record<string, unknown>;
}

const config = configOf([heatZone('Z1'), heatZone('Z2'), onOffZone('Z14')], { boiler_output: 'boiler', pump_output: 'pump' });

describe('numbered state upgrades', () => {
  it('has one step per version, in order, up to the current one', () => {
    expect(STATE_UPGRADES.map((u) => u.from)).toEqual([...Array(ENGINE_STATE_VERSION).keys()]);
  });

  it('0 -> 1 keeps the settings and outputs a v0 state has and gives the safety memory it lacks fresh values', () => {
    const v0 = fixture(0);
    const v1 = STATE_UPGRADES[0]!.up(v0);
    expect(v1.version).toBe(1);
    expect(v1.default_schedule).toEqual(v0.default_schedule);
    expect(v1.presets).toEqual(v0.presets);
    const zones = v1.zones as Record<string, unknown>[];
    expect(zones.map((z) => [z.name, z.mode, z.lockout, z.freeze_latched, z.condition, z.rise])).toEqual([
      ['Z1', 'AUTO', false, false, 'normal', null],
      ['Z2', 'OFF', false, false, 'normal', null],
      ['Z14', 'AUTO', false, false, 'normal', null],
    ]);
    expect(zones[0]!.output).toEqual((v0.zones as Record<string, unknown>[])[0]!.output);
    // A zone saved with no output is taken as off (resuming then counts it off since the restart).
    expect(zones[1]!.output).toEqual({ on: false, changed: { wall: 0, mono: 0 } });
    expect([v1.overrun, v1.alerts, v1.last_tick, v1.away_until]).toEqual([null, [], null, null]);
    expect(v1.boiler).toEqual(v0.boiler);
  });

  it('1 -> 2 adds the alive mark as unknown and changes nothing else', () => {
    const v1 = fixture(1);
    const v2 = STATE_UPGRADES[1]!.up(v1);
    expect(v2).toEqual({ ...v1, version: 2, alive: null });
    // Whatever later steps add, a v2 state goes on from here to today's layout.
    expect(upgradeEngineState(v2).from).toBe(2);
  });

  it('3 -> 4 gives every override an unknown mono instant (it keeps ending at its wall instant)', () => {
    const v3: Record<string, unknown> = { ...fixture(1), version: 3 };
    const v4 = STATE_UPGRADES[3]!.up(v3);
    const before = (v3.zones as Record<string, unknown>[]).map((z) => z.override);
    const after = (v4.zones as Record<string, unknown>[]).map((z) => z.override);
    expect(before.some((o) => o !== null)).toBe(true);
    expect(after).toEqual(before.map((o) => (o === null ? null : { ...(o as object), set_mono: null })));
    expect(v4.version).toBe(4);
  });

  it('brings a v0 and a v1 state to the current version, reporting what they were', () => {
    for (const version of [0, 1] as const) {
      const { state, from } = upgradeEngineState(fixture(version));
      expect(from).toBe(version);
      expect(state.version).toBe(ENGINE_STATE_VERSION);
      expect(state.zones.map((z) => z.name)).toEqual(['Z1', 'Z2', 'Z14']);
    }
  });

  it('4 -> 5 drops the schedules and presets (migration 5 of the store moved them to their tables) and changes nothing else', () => {
    const v4: Record<string, unknown> = { ...fixture(1), version: 4 };
    const v5 = STATE_UPGRADES[4]!.up(v4);
    expect(v5.version).toBe(5);
    expect('default_schedule' in v5 || 'presets' in v5).toBe(false);
    const before = v4.zones as Record<string, unknown>[];
    const after = v5.zones as Record<string, unknown>[];
    expect(before.every((z) => 'schedule' in z)).toBe(true);
    expect(after).toEqual(before.map(({ schedule: _schedule, ...zone }) => zone));
    const { version: _v4, default_schedule: _d, presets: _p, zones: _z4, ...restBefore } = v4;
    const { version: _v5, zones: _z5, ...restAfter } = v5;
    expect(restAfter).toEqual(restBefore);
  });

  it('takes a current state as it is', () => {
    const current = savedStateOf(initialState(config, { wall: WED_10AM, mono: 5 }));
    expect(upgradeEngineState(JSON.parse(JSON.stringify(current)))).toEqual({ state: current, from: ENGINE_STATE_VERSION });
  });

  it('joins a saved state with the stored settings; what they lack comes from the config', () => {
    const zoneWeek = everyDay([{ at: '06:00', setpoint_c: 20 }]);
    const withOwn = configOf([heatZone('Z1', { schedule: zoneWeek }), heatZone('Z2'), onOffZone('Z14')]);
    const saved = savedStateOf(initialState(withOwn, { wall: WED_10AM, mono: 5 }));
    const preset = { name: 'Cosy', schedule: zoneWeek, saved_at: WED_10AM };
    const joined = withSettings(withOwn, saved, { default_schedule: null, zone_schedules: new Map([['Z2', zoneWeek]]), presets: [preset] });
    expect(joined.default_schedule).toEqual(withOwn.default_schedule);
    expect(joined.zones.map((z) => z.schedule)).toEqual([zoneWeek, zoneWeek, null]);
    expect(joined.presets).toEqual([preset]);
    // A stored null (the owner sent the zone back to the default) wins over the config's own week.
    const cleared = withSettings(withOwn, saved, { default_schedule: null, zone_schedules: new Map([['Z1', null]]), presets: [] });
    expect(cleared.zones[0]?.schedule).toBeNull();
    expect(savedStateOf(joined)).toEqual(saved);
    expect(EngineState.safeParse(joined).success).toBe(true);
  });

  it('refuses a version newer than this agent, a version that is no version, and a state that is no object', () => {
    expect(() => upgradeEngineState({ ...fixture(1), version: ENGINE_STATE_VERSION + 1 })).toThrow(StateUpgradeError);
    expect(() => upgradeEngineState({ ...fixture(1), version: 'two' })).toThrow(/version "two"/);
    expect(() => upgradeEngineState({ ...fixture(1), version: -1 })).toThrow(StateUpgradeError);
    expect(() => upgradeEngineState([fixture(1)])).toThrow(/an array/);
    expect(() => upgradeEngineState(null)).toThrow(StateUpgradeError);
  });

  it('names the step that failed, and a step that skips a version', () => {
    const broken = [{ from: 0, name: 'explodes', up: () => { throw new Error('boom'); } }];
    expect(() => upgradeEngineState({}, broken, 1)).toThrow(/0 -> 1 \(explodes\) failed: Error: boom/);
    const skipping = [{ from: 0, name: 'skips', up: () => ({ version: 2 }) }];
    expect(() => upgradeEngineState({}, skipping, 2)).toThrow(/gave no version 1/);
  });

  it('throws only its own two errors for any JSON at all (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), fc.record({ version: fc.jsonValue() }), fc.record({ zones: fc.array(fc.jsonValue()) })), (value) => {
        try {
          upgradeEngineState(value);
        } catch (err) {
          expect(err instanceof StateUpgradeError || err instanceof ValidationError, String(err)).toBe(true);
        }
      }),
    );
  });
});

describe('salvaging the settings of an unreadable state', () => {
  it('keeps each schedule and preset that parses on its own, and nothing else', () => {
    const v1 = fixture(1);
    const damaged = {
      ...v1,
      version: 7,
      zones: [
        { name: 'Z1', schedule: everyDay([{ at: '06:30', setpoint_c: 21 }]), mode: 'TURBO' },
        { name: 'Z2', schedule: { mon: 'nonsense' } },
        'not a zone',
      ],
      presets: [
        { name: 'Cosy', schedule: everyDay([{ at: '07:00', setpoint_c: 21.5 }]), saved_at: WED_10AM },
        { name: 'Broken', schedule: 12, saved_at: WED_10AM },
        { name: 'Cosy', schedule: everyDay([]), saved_at: WED_10AM },
      ],
    };
    const salvaged = salvageSettings(damaged);
    expect(salvaged.default_schedule).toEqual(v1.default_schedule);
    expect([...salvaged.zone_schedules.keys()]).toEqual(['Z1']);
    expect(salvaged.presets.map((p) => p.name)).toEqual(['Cosy']);
    expect(salvaged.presets[0]?.schedule.mon).toEqual([{ at: '07:00', setpoint_c: 21.5 }]);

    const fresh = freshStateKeeping(config, salvaged, { wall: WED_10AM, mono: 0 });
    expect(EngineState.safeParse(fresh).success).toBe(true);
    expect(fresh.zones.map((z) => [z.name, z.mode, z.schedule?.mon ?? null])).toEqual([
      ['Z1', 'AUTO', [{ at: '06:30', setpoint_c: 21 }]],
      ['Z2', 'AUTO', null],
      ['Z14', 'AUTO', null],
    ]);
  });

  it('finds nothing in garbage, and never throws (property)', () => {
    expect(salvageSettings('{"version": 1')).toEqual({ default_schedule: null, zone_schedules: new Map(), presets: [] });
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const salvaged = salvageSettings(value);
        expect(salvaged.presets.length).toBeLessThanOrEqual(50);
      }),
    );
  });
});
