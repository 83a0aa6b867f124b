import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { ValidationError } from '@boiler/shared';
import {
  MAX_PRESETS,
  initialState,
  parseEngineState,
  rebaseStamp,
  resumeState,
  stopGapOf,
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
  it('counts the old process\'s own time up to its last sign of life plus the measured downtime', () => {
    const gap = { lastAliveMono: 1_000_000, downtimeMs: 20_000 };
    // 40 s before the last sign of life, 20 s down: 60 s ago on the new clock.
    expect(rebaseStamp({ wall: 5, mono: 960_000 }, { wall: 0, mono: 5_000 }, gap)).toEqual({ wall: 5, mono: -55_000 });
  });

  it('counts an unknown downtime as none, so a timer resumes where it stood', () => {
    expect(rebaseStamp({ wall: 5, mono: 960_000 }, { wall: 9e12, mono: 5_000 }, { lastAliveMono: 1_000_000, downtimeMs: null })).toEqual({ wall: 5, mono: -35_000 });
  });

  it('never lets the wall clock shorten a timer, whatever it did (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }),
        fc.integer({ min: -7 * 86_400_000, max: 7 * 86_400_000 }),
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.option(fc.integer({ min: 0, max: 3_600_000 })),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        (switchedWall, wallStep, beforeStopMs, downtimeMs, newMono) => {
          const gap = { lastAliveMono: 123 + beforeStopMs, downtimeMs };
          const now = { wall: switchedWall + wallStep, mono: newMono };
          const rebased = rebaseStamp({ wall: switchedWall, mono: 123 }, now, gap);
          // Elapsed is what the monotonic clocks measured, within float rounding; the wall step plays no part.
          expect(Math.abs(now.mono - rebased.mono - (beforeStopMs + (downtimeMs ?? 0)))).toBeLessThan(1e-3);
        },
      ),
    );
  });
});

describe('stopGapOf: where the old process was last known alive', () => {
  const base = initialState(configOf([heatZone('Z1')]), { wall: WED_10AM, mono: 0 });
  // Every output of `base` last switched at mono 0.
  const mark = (run: string, mono: number, bootMono: number, boot = 'boot-a', lastSwitch = 0) => ({
    run,
    boot_id: boot,
    boot_mono: bootMono,
    mono,
    wall: WED_10AM + mono,
    last_switch: lastSwitch,
  });
  const saved = { ...base, last_tick: { wall: WED_10AM + 50_000, mono: 50_000 }, alive: mark('r1', 50_000, 9_050_000) };

  it('takes the later sign of life of the same run, and the downtime from the machine clock', () => {
    expect(stopGapOf(saved, mark('r1', 58_000, 9_058_000), { id: 'boot-a', mono: 9_060_000 })).toEqual({ lastAliveMono: 58_000, downtimeMs: 2_000 });
  });

  it('knows no downtime when the same run switched an output after its last saved state (its saves failed)', () => {
    expect(stopGapOf(saved, mark('r1', 58_000, 9_058_000, 'boot-a', 55_000), { id: 'boot-a', mono: 9_060_000 })).toEqual({ lastAliveMono: 58_000, downtimeMs: null });
  });

  it('ignores an older sign of life of the same run', () => {
    expect(stopGapOf(saved, mark('r1', 40_000, 9_040_000), { id: 'boot-a', mono: 9_060_000 })).toEqual({ lastAliveMono: 50_000, downtimeMs: 10_000 });
  });

  it('knows no downtime across a reboot', () => {
    expect(stopGapOf(saved, mark('r1', 58_000, 9_058_000), { id: 'boot-b', mono: 30_000 })).toEqual({ lastAliveMono: 58_000, downtimeMs: null });
  });

  it('knows no downtime when another process ran after the state was saved (its saves failed)', () => {
    expect(stopGapOf(saved, mark('r2', 5_000, 9_070_000), { id: 'boot-a', mono: 9_080_000 })).toEqual({ lastAliveMono: 50_000, downtimeMs: null });
  });

  it("ignores a previous process's older sign of life", () => {
    expect(stopGapOf(saved, mark('r0', 99_000, 9_000_000), { id: 'boot-a', mono: 9_060_000 })).toEqual({ lastAliveMono: 50_000, downtimeMs: 10_000 });
  });

  it('falls back to the last tick with no mark in the state (a state saved before marks existed)', () => {
    expect(stopGapOf({ ...saved, alive: null }, null, { id: 'boot-a', mono: 9_060_000 })).toEqual({ lastAliveMono: 50_000, downtimeMs: null });
  });
});

describe('resumeState after a restart', () => {
  const config = configOf([heatZone('Z1', { min_on_s: 300, min_off_s: 600 }), heatZone('Z2', { min_off_s: 600 })], {
    ...plant,
    boiler_min_off_s: 400,
    pump_min_off_s: 200,
  });
  const cold = readingsOf({ Z1: { room: ok(15) }, Z2: { room: ok(25) } });
  const bothCold = readingsOf({ Z1: { room: ok(15) }, Z2: { room: ok(15) } });

  /** Runs until Z1, the pump and the boiler are on; Z2 went off 100 s before the last tick. */
  function beforeRestart(): { saved: EngineState; mono: number } {
    const rig = new Rig(config);
    rig.run(120, cold);
    expect([rig.output('valve-Z1'), rig.output('pump'), rig.output('boiler')]).toEqual([true, true, true]);
    const offAt = { wall: rig.wall - 100_000, mono: rig.mono - 100_000 };
    const zones = rig.state.zones.map((z) => (z.name === 'Z2' ? { ...z, output: { on: false, changed: offAt } } : z));
    rig.state = { ...rig.state, zones };
    return { saved: throughJson(rig.state), mono: rig.mono };
  }

  /** When each output first comes on, ticking every second from the restart. */
  function firstOn(state: EngineState, readings: ReturnType<typeof readingsOf>, restartMono: number): Record<string, number> {
    const seen: Record<string, number> = {};
    let s = state;
    for (let t = 0; t <= 900; t++) {
      const result = tick(config, s, readings, { wall: WED_10AM + t * 1000, mono: restartMono + t * 1000 });
      s = result.state;
      for (const [name, on] of result.outputs) if (on && seen[name] === undefined) seen[name] = t;
    }
    return seen;
  }

  it('counts every output that was on as switched off at the restart, its run ending at the last sign of life', () => {
    const { saved, mono } = beforeRestart();
    // Last sign of life 4 s after the last saved tick; down 30 s.
    const { state, events } = resumeState(config, saved, { wall: WED_10AM, mono: 42 }, { lastAliveMono: mono + 4_000, downtimeMs: 30_000 });
    expect(state.zones.map((z) => z.output.on)).toEqual([false, false]);
    expect(events.map((e) => [e.event, e.zone, e.source, e.duration_s])).toEqual([
      ['OFF', 'Z1', 'system', 124],
      ['OFF', null, 'system', 114],
      ['OFF', null, 'system', 124],
    ]);
    // Minimum off times run in full from the restart: Z1 600 s, pump 200 s (after the valve), boiler 400 s.
    expect(firstOn(state, cold, 42)).toEqual({ 'valve-Z1': 600, pump: 600, boiler: 601 });
  });

  it('runs the plant minimum off times in full from the restart as well', () => {
    const { saved, mono } = beforeRestart();
    const quickZone = configOf([heatZone('Z1'), heatZone('Z2')], { ...plant, boiler_min_off_s: 400, pump_min_off_s: 200 });
    const { state } = resumeState(quickZone, saved, { wall: WED_10AM, mono: 0 }, { lastAliveMono: mono, downtimeMs: 1_000 });
    const seen: Record<string, number> = {};
    let s = state;
    for (let t = 0; t <= 500; t++) {
      const result = tick(quickZone, s, cold, { wall: WED_10AM + t * 1000, mono: t * 1000 });
      s = result.state;
      for (const [name, on] of result.outputs) if (on && seen[name] === undefined) seen[name] = t;
    }
    expect(seen).toEqual({ 'valve-Z1': 0, pump: 200, boiler: 400 });
  });

  it('keeps the off time an output already had, counted on the monotonic clocks, not the wall', () => {
    const { saved, mono } = beforeRestart();
    // Z2 was off 100 s at the last tick, 20 s more before the last sign of life, then 80 s down: 400 s remain.
    const { state } = resumeState(config, saved, { wall: WED_10AM + 7_200_000, mono: 0 }, { lastAliveMono: mono + 20_000, downtimeMs: 80_000 });
    expect(firstOn(state, bothCold, 0)['valve-Z2']).toBe(400);
  });

  it('across a reboot (downtime unknown) runs every minimum off time in full from the restart', () => {
    const { saved, mono } = beforeRestart();
    const { state } = resumeState(config, saved, { wall: WED_10AM - 7_200_000, mono: 7 }, { lastAliveMono: mono, downtimeMs: null });
    expect(firstOn(state, bothCold, 7)).toMatchObject({ 'valve-Z1': 600, 'valve-Z2': 600 });
  });

  it('carries a boost across a restart with only the monotonic time that passed taken off, whatever the wall clock did', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.do({ type: 'boost', zone: 'Z1', minutes: 10 });
    rig.tick(readingsOf({ Z1: { room: ok(25) } }));
    const warm = readingsOf({ Z1: { room: ok(25) } });
    for (const wallStep of [-7_200_000, 0, 7_200_000]) {
      // 60 s ran before the last sign of life, 180 s down: 360 s remain.
      const gap = { lastAliveMono: rig.mono + 60_000, downtimeMs: 180_000 };
      const { state } = resumeState(rig.config, throughJson(rig.state), { wall: rig.wall + wallStep, mono: 0 }, gap);
      expect(tick(rig.config, state, warm, { wall: rig.wall + wallStep, mono: 359_000 }).state.zones[0]?.boost).not.toBeNull();
      expect(tick(rig.config, state, warm, { wall: rig.wall + wallStep, mono: 360_000 }).state.zones[0]?.boost).toBeNull();
      // Across a reboot the boost keeps what it had at the last sign of life: 540 s.
      const rebooted = resumeState(rig.config, throughJson(rig.state), { wall: rig.wall + wallStep, mono: 0 }, { ...gap, downtimeMs: null }).state;
      expect(tick(rig.config, rebooted, warm, { wall: rig.wall, mono: 539_000 }).state.zones[0]?.boost).not.toBeNull();
      expect(tick(rig.config, rebooted, warm, { wall: rig.wall, mono: 540_000 }).state.zones[0]?.boost).toBeNull();
    }
  });

  it('carries an until override across a restart on the monotonic clocks, whatever the wall clock did', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    const until = rig.wall + 3_600_000;
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'until', until });
    rig.tick(readingsOf({ Z1: { room: ok(20) } }));
    // 10 min before the last sign of life, 5 min down: 45 min left.
    const gap = { lastAliveMono: rig.mono + 600_000, downtimeMs: 300_000 };
    const { state } = resumeState(rig.config, throughJson(rig.state), { wall: until + 3_600_000, mono: 0 }, gap);
    const at = (mono: number) => tick(rig.config, state, readingsOf({ Z1: { room: ok(20) } }), { wall: until + 3_600_000 + mono, mono }).state.zones[0]?.override;
    expect(at(45 * 60_000 - 1000)).not.toBeNull();
    expect(at(45 * 60_000)).toBeNull();
  });

  it('matches zones by name when the config changed, dropping the alerts of removed zones', () => {
    const bare = { pipe_sensor: undefined };
    const rig = new Rig(configOf([heatZone('A', bare), heatZone('B', bare)]));
    rig.do({ type: 'zone_mode', zone: 'B', mode: 'OFF' });
    rig.tick(readingsOf({ A: { room: ok(21) }, B: { room: { ok: false, fault: 'crc', detail: 'x', at: 0 } } }));
    rig.tick(readingsOf({ A: { room: { ok: false, fault: 'crc', detail: 'x', at: 0 } }, B: { room: ok(21) } }));
    expect(rig.state.alerts.map((a) => a.zone)).toEqual(['A']);
    const next = configOf([heatZone('C', bare), heatZone('B', bare)]);
    const { state } = resumeState(next, rig.state, rig.now(), { lastAliveMono: rig.mono, downtimeMs: 0 });
    expect(state.zones.map((z) => [z.name, z.mode])).toEqual([
      ['C', 'AUTO'],
      ['B', 'OFF'],
    ]);
    expect(state.alerts).toEqual([]);
  });
});

describe('resumeState against the true timeline (property)', () => {
  it('brings no output back inside its minimum off time, whatever the stop, the downtime or the wall clock did', () => {
    const scenario = fc.record({
      zoneMinOff: fc.array(fc.integer({ min: 0, max: 600 }), { minLength: 1, maxLength: 3 }),
      boilerMinOff: fc.integer({ min: 0, max: 600 }),
      pumpMinOff: fc.integer({ min: 0, max: 600 }),
      history: fc.array(fc.record({ dt: fc.integer({ min: 1, max: 240 }), cold: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }), { minLength: 1, maxLength: 25 }),
      /** The last sign of life after the last saved tick, and the death after that (the mark period). */
      aliveAfterMs: fc.integer({ min: 0, max: 1000 }),
      deathAfterMs: fc.integer({ min: 0, max: 1000 }),
      /** Down this long after the death; the engine is told the downtime only within one boot. */
      downMs: fc.integer({ min: 0, max: 900_000 }),
      sameBoot: fc.boolean(),
      wallStep: fc.integer({ min: -7_200_000, max: 7_200_000 }),
      newMonoStart: fc.double({ min: 0, max: 1e6, noNaN: true }),
    });
    fc.assert(
      fc.property(scenario, (sc) => {
        const names = sc.zoneMinOff.map((_, i) => `Z${i}`);
        const cfg = configOf(
          names.map((n, i) => heatZone(n, { min_off_s: sc.zoneMinOff[i] })),
          { ...plant, boiler_min_off_s: sc.boilerMinOff, pump_min_off_s: sc.pumpMinOff },
        );
        const rig = new Rig(cfg);
        const roomsOf = (cold: readonly boolean[]) => readingsOf(Object.fromEntries(names.map((n, i) => [n, { room: ok(cold[i] === true ? 15 : 25) }])));
        for (const step of sc.history) {
          rig.advance(step.dt);
          rig.tick(roomsOf(step.cold));
        }
        // The old process's mono is the true timeline up to its death.
        const lastAlive = rig.mono + sc.aliveAfterMs;
        const death = lastAlive + sc.deathAfterMs;
        const restart = death + sc.downMs;
        const offSince = new Map<string, number>();
        const outputs: [string, { on: boolean; changed: { mono: number } }, number][] = [
          ...rig.state.zones.map((z, i) => [`valve-${z.name}`, z.output, sc.zoneMinOff[i] ?? 0] as [string, typeof z.output, number]),
          ['boiler', rig.state.boiler, sc.boilerMinOff],
          ['pump', rig.state.pump, sc.pumpMinOff],
        ];
        for (const [name, output] of outputs) offSince.set(name, output.on ? death : output.changed.mono);

        const gap = { lastAliveMono: lastAlive, downtimeMs: sc.sameBoot ? restart - lastAlive : null };
        const startWall = rig.wall + sc.wallStep;
        let state = resumeState(cfg, throughJson(rig.state), { wall: startWall, mono: sc.newMonoStart }, gap).state;
        const firstOn = new Map<string, number>();
        const allCold = roomsOf([true, true, true]);
        for (let t = 0; t <= 700 && firstOn.size < outputs.length; t++) {
          const result = tick(cfg, state, allCold, { wall: startWall + t * 1000, mono: sc.newMonoStart + t * 1000 });
          state = result.state;
          for (const [name, on] of result.outputs) if (on && !firstOn.has(name)) firstOn.set(name, restart + t * 1000);
        }
        for (const [name, , minOffS] of outputs) {
          const on = firstOn.get(name);
          expect(on, `${name} never came back`).toBeDefined();
          expect((on ?? 0) - (offSince.get(name) ?? 0), `${name} back on too soon`).toBeGreaterThanOrEqual(minOffS * 1000);
        }
      }),
      { numRuns: 200 },
    );
  });
});
