import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '@boiler/shared';
import {
  MAX_PRESETS,
  initialState,
  parseEngineState,
  rebaseStamp,
  resumeState,
  tick,
  type EngineState,
} from '../../src/control/index.js';
import { configOf, everyDay, heatZone, ok, readingsOf, Rig, WED_10AM } from './rig.js';

const plant = { boiler_output: 'boiler', pump_output: 'pump' };

/** A state as it would come back from disk. */
function throughJson(state: EngineState): EngineState {
  return parseEngineState(JSON.parse(JSON.stringify(state)));
}

describe('persisted state', () => {
  it('survives a JSON round trip through its schema, overrides, boost, alerts and overrun included', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], plant));
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 21, override: 'next_change' });
    rig.do({ type: 'boost', zone: 'Z2', minutes: 5 });
    rig.do({ type: 'preset_save', name: 'Cosy', schedule: everyDay([{ at: '07:00', setpoint_c: 21 }]) });
    rig.run(60, readingsOf({ Z1: { room: ok(18) }, Z2: { room: ok(25) } }));
    rig.advance(300);
    rig.tick(readingsOf({ Z1: { room: ok(22) }, Z2: { room: ok(25) } }));
    expect(rig.state.overrun).not.toBeNull();
    expect(rig.state.alerts.length).toBeGreaterThan(0);
    expect(throughJson(rig.state)).toEqual(rig.state);
  });

  it('refuses a damaged state with a ValidationError naming the field', () => {
    const state = JSON.parse(JSON.stringify(initialState(configOf([heatZone('Z1')]), { wall: WED_10AM, mono: 0 }))) as { zones: { mode: string }[] };
    (state.zones[0] as { mode: string }).mode = 'TURBO';
    expect(() => parseEngineState(state)).toThrow(ValidationError);
    expect(() => parseEngineState(state)).toThrow(/zones\.0\.mode/);
  });

  it('caps the number of presets', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    for (let i = 0; i < MAX_PRESETS; i++) rig.do({ type: 'preset_save', name: `P${i}`, schedule: everyDay([]) });
    const extra = rig.command({ type: 'preset_save', name: 'one too many', schedule: everyDay([]) });
    expect(extra.ok ? 'accepted' : extra.error.code).toBe('too_many_presets');
    expect(rig.command({ type: 'preset_save', name: 'P3', schedule: everyDay([]) }).ok).toBe(true);
  });
});

describe('rebaseStamp', () => {
  it('places the stamp as far back on the new mono clock as the wall clock says has passed', () => {
    expect(rebaseStamp({ wall: 1_000_000, mono: 987_654 }, { wall: 1_060_000, mono: 5_000 })).toEqual({ wall: 1_000_000, mono: -55_000 });
  });

  it('counts no time at all when the wall clock went backwards', () => {
    expect(rebaseStamp({ wall: 1_000_000, mono: 987_654 }, { wall: 900_000, mono: 5_000 })).toEqual({ wall: 1_000_000, mono: 5_000 });
  });

  it('never leaves less of a minimum time than the wall clock allows (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
        fc.integer({ min: -7 * 86_400_000, max: 7 * 86_400_000 }),
        fc.integer({ min: 0, max: 3600 }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        (switchedWall, wallDelta, minS, newMono) => {
          const now = { wall: switchedWall + wallDelta, mono: newMono };
          const rebased = rebaseStamp({ wall: switchedWall, mono: 123 }, now);
          // The engine counts elapsed time as now.mono - stamp.mono; it must not exceed what the wall
          // clock says passed (a microsecond of float rounding aside), so no minimum time runs short.
          const elapsedMs = now.mono - rebased.mono;
          expect(elapsedMs).toBeLessThanOrEqual(Math.max(0, wallDelta) + 1e-3);
          expect(Math.max(0, minS * 1000 - elapsedMs)).toBeGreaterThanOrEqual(minS * 1000 - Math.max(0, wallDelta) - 1e-3);
          expect(rebased.mono).toBeLessThanOrEqual(now.mono);
        },
      ),
    );
  });
});

describe('resumeState after a restart', () => {
  const config = configOf([heatZone('Z1', { min_on_s: 300, min_off_s: 600 }), heatZone('Z2', { min_off_s: 600 })], plant);
  const cold = readingsOf({ Z1: { room: ok(15) }, Z2: { room: ok(25) } });

  /** Runs until Z1 is on, persists, and returns the state and the clocks of the last tick. */
  function beforeRestart(): { saved: EngineState; wall: number } {
    const rig = new Rig(config);
    rig.run(120, cold);
    expect(rig.output('valve-Z1')).toBe(true);
    // Z2 went off 100 s before the stop.
    const offAt = { wall: rig.wall - 100_000, mono: rig.mono - 100_000 };
    const zones = rig.state.zones.map((z) => (z.name === 'Z2' ? { ...z, output: { on: false, changed: offAt } } : z));
    rig.state = { ...rig.state, zones };
    return { saved: throughJson(rig.state), wall: rig.wall };
  }

  it('takes the outputs that were on as off since the stop, with an OFF event, and keeps the minimum off time', () => {
    const { saved, wall } = beforeRestart();
    const { state, events } = resumeState(config, saved, { wall: wall + 30_000, mono: 42 });
    expect(state.zones.map((z) => z.output.on)).toEqual([false, false]);
    expect(events.map((e) => [e.event, e.zone, e.source, e.duration_s])).toEqual([
      ['OFF', 'Z1', 'system', 120],
      ['OFF', null, 'system', 110],
      ['OFF', null, 'system', 120],
    ]);
    // Z1 went off at the stop, 30 s ago: 570 s of minimum off time remain.
    const early = tick(config, state, cold, { wall: wall + 30_000 + 569_000, mono: 42 + 569_000 });
    expect(early.outputs.get('valve-Z1')).toBe(false);
    const due = tick(config, early.state, cold, { wall: wall + 30_000 + 570_000, mono: 42 + 570_000 });
    expect(due.outputs.get('valve-Z1')).toBe(true);
  });

  it('restarts the minimum off time in full when the wall clock went backwards', () => {
    const { saved, wall } = beforeRestart();
    const back = wall - 3_600_000;
    const { state } = resumeState(config, saved, { wall: back, mono: 7 });
    const zoneTwoCold = readingsOf({ Z1: { room: ok(15) }, Z2: { room: ok(15) } });
    const early = tick(config, state, zoneTwoCold, { wall: back + 599_000, mono: 7 + 599_000 });
    expect(early.outputs.get('valve-Z1')).toBe(false);
    expect(early.outputs.get('valve-Z2')).toBe(false);
    const due = tick(config, early.state, zoneTwoCold, { wall: back + 600_000, mono: 7 + 600_000 });
    expect(due.outputs.get('valve-Z1')).toBe(true);
    expect(due.outputs.get('valve-Z2')).toBe(true);
  });

  it("rebases an output that was off from its own switch time, not the restart's", () => {
    const { saved, wall } = beforeRestart();
    const { state } = resumeState(config, saved, { wall: wall + 200_000, mono: 0 });
    // Z2 has been off 300 s by the wall clock: 300 s remain.
    const zoneTwoCold = readingsOf({ Z1: { room: ok(25) }, Z2: { room: ok(15) } });
    expect(tick(config, state, zoneTwoCold, { wall: wall + 499_000, mono: 299_000 }).outputs.get('valve-Z2')).toBe(false);
    expect(tick(config, state, zoneTwoCold, { wall: wall + 500_000, mono: 300_000 }).outputs.get('valve-Z2')).toBe(true);
  });

  it('carries a boost across a restart with only the time that has passed taken off', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.do({ type: 'boost', zone: 'Z1', minutes: 10 });
    rig.tick(readingsOf({ Z1: { room: ok(25) } }));
    const { state } = resumeState(rig.config, throughJson(rig.state), { wall: rig.wall + 240_000, mono: 0 });
    const warm = readingsOf({ Z1: { room: ok(25) } });
    expect(tick(rig.config, state, warm, { wall: rig.wall + 599_000, mono: 359_000 }).state.zones[0]?.boost).not.toBeNull();
    expect(tick(rig.config, state, warm, { wall: rig.wall + 600_000, mono: 360_000 }).state.zones[0]?.boost).toBeNull();
  });

  it('matches zones by name when the config changed, dropping the alerts of removed zones', () => {
    const bare = { pipe_sensor: undefined };
    const rig = new Rig(configOf([heatZone('A', bare), heatZone('B', bare)]));
    rig.do({ type: 'zone_mode', zone: 'B', mode: 'OFF' });
    rig.tick(readingsOf({ A: { room: ok(21) }, B: { room: { ok: false, fault: 'crc', detail: 'x', at: 0 } } }));
    rig.tick(readingsOf({ A: { room: { ok: false, fault: 'crc', detail: 'x', at: 0 } }, B: { room: ok(21) } }));
    expect(rig.state.alerts.map((a) => a.zone)).toEqual(['A']);
    const next = configOf([heatZone('C', bare), heatZone('B', bare)]);
    const { state } = resumeState(next, rig.state, rig.now());
    expect(state.zones.map((z) => [z.name, z.mode])).toEqual([
      ['C', 'AUTO'],
      ['B', 'OFF'],
    ]);
    expect(state.alerts).toEqual([]);
  });
});
