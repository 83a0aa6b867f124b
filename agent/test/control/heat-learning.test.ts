import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EngineState, STATE_UPGRADES, resumeState, upgradeEngineState } from '../../src/control/index.js';
import { LEARNING_WINDOW_MS, NO_LEARNING, learnHeat, type HeatSample } from '../../src/control/heat-learning.js';
import type { HeatLearning } from '../../src/control/state.js';
import { configOf, faulty, heatZone, ok, readingsOf, Rig } from './rig.js';

const MIN = 60_000;

/** Runs learnHeat over `ms` in 10 s ticks; `sample(t)` says what the zone showed at t ms into the run. */
function learn(start: HeatLearning, ms: number, sample: (t: number) => HeatSample, t0 = 1_000_000): HeatLearning {
  let h = start;
  for (let t = 0; t <= ms; t += 10_000) h = learnHeat(h, sample(t), { wall: 1_700_000_000_000 + t0 + t, mono: t0 + t });
  return h;
}

/** On for the first `duty` of every 20 minutes. */
const cycling = (duty: number, roomC: number | ((t: number) => number), outdoorC: number | null) => (t: number): HeatSample => ({
  roomC: typeof roomC === 'number' ? roomC : roomC(t),
  outdoorC,
  heated: t % (20 * MIN) < duty * 20 * MIN,
});

describe('learning a zone\'s heat span', () => {
  it('takes the mean room-over-outdoor difference per unit of duty from a window in balance', () => {
    const h = learn(NO_LEARNING, LEARNING_WINDOW_MS, cycling(0.5, 20, 0));
    expect(h.span_c).toBeCloseTo(40, 0);
    // A second window measuring 20 K per unit of duty moves the span 30 % of the way there.
    const next = learn(h, LEARNING_WINDOW_MS, cycling(0.8, 20, 4), 1_000_000 + LEARNING_WINDOW_MS + 10_000);
    expect(next.span_c).toBeCloseTo(40 + 0.3 * (20 - 40), 0);
  });

  it('learns nothing from a room that warmed or cooled, from a zone hardly on, or near the outdoor temperature', () => {
    expect(learn(NO_LEARNING, LEARNING_WINDOW_MS, cycling(0.5, (t) => 15 + (4 * t) / LEARNING_WINDOW_MS, 0)).span_c).toBeNull();
    expect(learn(NO_LEARNING, LEARNING_WINDOW_MS, cycling(0.02, 20, 0)).span_c).toBeNull();
    expect(learn(NO_LEARNING, LEARNING_WINDOW_MS, cycling(0.5, 20, 17)).span_c).toBeNull();
  });

  it('starts the window again after a missing reading or a gap between ticks', () => {
    const broken = learn(NO_LEARNING, LEARNING_WINDOW_MS, (t) => ({ ...cycling(0.5, 20, 0)(t), outdoorC: t === 3 * 3600_000 ? null : 0 }));
    expect(broken.span_c).toBeNull();
    expect(broken.window?.started_mono).toBe(1_000_000 + 3 * 3600_000 + 10_000);
    const before = learn(NO_LEARNING, 3 * 3600_000, cycling(0.5, 20, 0));
    const after = learnHeat(before, { roomC: 20, outdoorC: 0, heated: true }, { wall: 0, mono: (before.window?.last_mono ?? 0) + 6 * MIN });
    expect(after.window?.on_ms).toBe(0);
  });
});

describe('the fail-safe uses what the engine learned', () => {
  it('a zone that needed 80 % at 0 °C outdoors gets more than the design sizing when its sensor fails', () => {
    const rig = new Rig(configOf([heatZone('Z1', { failsafe: { period_s: 1200 } })], { outdoor_sensor: 'outdoor' }));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'THERMOSTAT' });
    // Seven hours of a wall thermostat calling 16 minutes in every 20, the room steady at 20 °C.
    for (let t = 0; t < 7 * 3600; t += 10) {
      rig.tick(readingsOf({ Z1: { room: ok(20), pipe: ok(40), call_for_heat: t % 1200 < 960 } }, { outdoor: ok(0) }));
      rig.advance(10);
    }
    const span = rig.zone('Z1').heat.span_c;
    expect(span).toBeCloseTo(25, 0);
    // THERMOSTAT keeps driving a blind zone (the wall thermostat has its own sensor), so back to AUTO.
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'AUTO' });
    rig.mono = Math.ceil(rig.mono / 1_200_000) * 1_200_000 + 3_600_000;
    let on = 0;
    for (let t = 0; t < 1200; t += 10) {
      rig.tick(readingsOf({ Z1: { room: faulty(), pipe: ok(40) } }, { outdoor: ok(0) }));
      if (rig.output('valve-Z1')) on++;
      rig.advance(10);
    }
    // 12 °C to hold over 0 °C outdoors at 25 K per unit of duty: 48 %, where the design sizing gives 30 %.
    expect(on / 120).toBeCloseTo(0.48, 1);
    expect(rig.events.filter((e) => e.event === 'ON').at(-1)?.detail).toBe('room sensor fault: fail-safe duty 48 % for 0 °C outdoors');
    // The blind zone's window stopped; its span is kept.
    expect(rig.zone('Z1').heat).toEqual({ span_c: span, window: null });
  });

  it('keeps the span across a restart and starts the window again', () => {
    const config = configOf([heatZone('Z1')]);
    const rig = new Rig(config);
    rig.run(600, readingsOf({ Z1: { room: ok(20), pipe: ok(40) } }, { outdoor: ok(0) }));
    const saved = { ...rig.state, zones: rig.state.zones.map((z) => ({ ...z, heat: { ...z.heat, span_c: 33 } })) };
    expect(saved.zones[0]?.heat.window).not.toBeNull();
    const { state } = resumeState(config, EngineState.parse(JSON.parse(JSON.stringify(saved))), { wall: rig.wall + 60_000, mono: 5 }, { lastAliveMono: null, downtimeMs: null });
    expect(state.zones[0]?.heat).toEqual({ span_c: 33, window: null });
  });
});

describe('state upgrade 2 -> 3', () => {
  it('gives every zone an empty heat learning and changes nothing else', () => {
    const v1 = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'state-v1.json'), 'utf8')) as Record<string, unknown>;
    const v2 = STATE_UPGRADES[1]!.up(v1);
    const v3 = STATE_UPGRADES[2]!.up(v2);
    const zones = v2.zones as Record<string, unknown>[];
    expect(v3).toEqual({ ...v2, version: 3, zones: zones.map((z) => ({ ...z, heat: { span_c: null, window: null } })) });
    expect(upgradeEngineState(v2).state.zones.every((z) => z.heat.span_c === null && z.heat.window === null)).toBe(true);
  });
});
