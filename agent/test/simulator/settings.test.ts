import { describe, it, expect } from 'vitest';
import { ConfigError } from '@boiler/shared';
import { SimEnv, simHouseOptions, startWall, OutdoorWeather } from '../../src/hardware/simulator/index.js';
import { referenceZones } from './reference-house.js';

const TZ = 'America/Denver';
const NOW = Date.UTC(2026, 5, 1, 12, 0);
const zones = referenceZones();
const env = (vars: Record<string, string>) => SimEnv.parse(vars);
const noFile = () => {
  throw new Error('no file was asked for');
};

describe('simulator start', () => {
  it('reads a bare date and time on the site clock, across both DST changes', () => {
    expect(startWall('2026-01-12T00:00', TZ)).toBe(Date.UTC(2026, 0, 12, 7, 0));
    expect(startWall('2026-07-01T12:30:15', TZ)).toBe(Date.UTC(2026, 6, 1, 18, 30, 15));
    // 02:30 on the spring-forward night does not exist; it reads as the hour after (03:30 MDT).
    expect(startWall('2026-03-08T02:30', TZ)).toBe(Date.UTC(2026, 2, 8, 9, 30));
    expect(startWall('2026-03-08T03:30', TZ)).toBe(Date.UTC(2026, 2, 8, 9, 30));
    expect(startWall('2026-11-01T12:00', TZ)).toBe(Date.UTC(2026, 10, 1, 19, 0));
  });

  it('takes Z and offsets as given', () => {
    expect(startWall('2026-01-12T07:00Z', TZ)).toBe(Date.UTC(2026, 0, 12, 7, 0));
    expect(startWall('2026-01-12T08:00+01:00', TZ)).toBe(Date.UTC(2026, 0, 12, 7, 0));
    expect(startWall('2026-01-12T00:00-0700', TZ)).toBe(Date.UTC(2026, 0, 12, 7, 0));
  });

  it('refuses dates that do not exist', () => {
    for (const bad of ['2026-02-29T00:00', '2026-13-01T00:00', '2026-01-01T24:00', '2026-01-01T10:60', 'tomorrow']) {
      expect(SimEnv.safeParse({ SIM_START: bad }).success, bad).toBe(false);
    }
    expect(SimEnv.safeParse({ SIM_START: '2028-02-29T00:00' }).success).toBe(true);
  });
});

describe('simulator knobs into house options', () => {
  it('defaults to now, the winter day and the zones file', () => {
    expect(simHouseOptions(env({}), zones, TZ, NOW, noFile)).toEqual({ timeZone: TZ, startWall: NOW, seed: 1 });
  });

  it('turns a mean, swing and coldest hour into a day whose high comes 8.5 h after the low, even past midnight', () => {
    const options = simHouseOptions(env({ SIM_OUTDOOR_MEAN_C: '-20', SIM_OUTDOOR_SWING_C: '6', SIM_OUTDOOR_COLDEST_HOUR: '20' }), zones, TZ, NOW, noFile);
    expect(options.outdoor).toEqual({ minC: -26, maxC: -14, coldestHour: 20, warmestHour: 4.5 });
    const day = new OutdoorWeather(TZ, options.outdoor);
    expect(day.dayCycleAt(20)).toBeCloseTo(-26);
    expect(day.dayCycleAt(4.5)).toBeCloseTo(-14);
    expect(day.dayCycleAt(0.25)).toBeCloseTo(-20); // halfway up
    expect(day.dayCycleAt(12.25)).toBeCloseTo(-20); // halfway down
  });

  it('lets each variable win over its field in the simulator file', () => {
    const file = JSON.stringify({ outdoor: { fixed_c: -5 }, start: '2026-01-12T07:00Z', room_c: { Z1: 10 }, heat_loss_scale: 2, clock_offset_s: 60, clock_step: { after_s: 10, by_s: -3600 } });
    const fromFile = simHouseOptions(env({ SIM_FILE: 'sim.json' }), zones, TZ, NOW, () => file);
    expect(fromFile).toEqual({
      timeZone: TZ,
      startWall: Date.UTC(2026, 0, 12, 7, 0) + 60_000,
      seed: 1,
      outdoor: { fixedC: -5 },
      initial: { zones: { Z1: { roomC: 10 } } },
      heatLossScale: 2,
      clockStep: { afterMs: 10_000, byMs: -3_600_000 },
    });
    const overridden = simHouseOptions(
      env({ SIM_FILE: 'sim.json', SIM_OUTDOOR_C: '-30', SIM_ROOM_C: '12,Z5=6', SIM_HEAT_LOSS_SCALE: '2.7', SIM_CLOCK_OFFSET: '-2h', SIM_CLOCK_STEP: '+90m@1d' }),
      zones,
      TZ,
      NOW,
      () => file,
    );
    expect(overridden).toMatchObject({
      startWall: Date.UTC(2026, 0, 12, 5, 0),
      outdoor: { fixedC: -30 },
      initial: { roomC: 12, zones: { Z5: { roomC: 6 } } },
      heatLossScale: 2.7,
      clockStep: { afterMs: 86_400_000, byMs: 5_400_000 },
    });
  });

  it('names the knob of every problem', () => {
    const bad = SimEnv.safeParse({ SIM_OUTDOOR_C: '-70', SIM_CLOCK_STEP: '+2h', SIM_ROOM_C: 'Z1=hot', SIM_HEAT_LOSS_SCALE: '11', SIM_CLOCK_OFFSET: '400d' });
    expect(bad.success).toBe(false);
    expect(new Set(bad.error?.issues.map((i) => i.path[0]))).toEqual(new Set(['SIM_OUTDOOR_C', 'SIM_CLOCK_STEP', 'SIM_ROOM_C', 'SIM_HEAT_LOSS_SCALE', 'SIM_CLOCK_OFFSET']));
    expect(() => simHouseOptions(env({ SIM_ROOM_C: 'Z14=30' }), zones, TZ, NOW, noFile)).toThrow(ConfigError);
    try {
      simHouseOptions(env({ SIM_FILE: 'sim.json' }), zones, TZ, NOW, () => JSON.stringify({ room_c: { Z14: 20, Nope: 3 } }));
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([
        'SIM_FILE: room_c names Z14, which is not a heat zone in ZONES_FILE',
        'SIM_FILE: room_c names Nope, which is not a heat zone in ZONES_FILE',
      ]);
    }
  });
});

describe('heat-loss scale and clock step in the house', () => {
  it('a draughtier house cools faster, and the wall clock steps once, the monotonic one never', async () => {
    const { referenceHouse, heatZone, HOUR } = await import('./reference-house.js');
    const plain = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 20 } });
    const drafty = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 20 }, heatLossScale: 2.7, clockStep: { afterMs: HOUR, byMs: 2 * HOUR } });
    const wall0 = drafty.clock.now();
    plain.advance(HOUR - 1);
    drafty.advance(HOUR - 1);
    expect(drafty.clock.now()).toBe(wall0 + HOUR - 1);
    plain.advance(5 * HOUR);
    drafty.advance(5 * HOUR);
    expect(drafty.clock.now()).toBe(wall0 + 8 * HOUR - 1);
    expect(drafty.clock.monotonic()).toBe(6 * HOUR - 1);
    const lostPlain = 20 - heatZone(plain.snapshot(), 'Z5').roomC;
    const lostDrafty = 20 - heatZone(drafty.snapshot(), 'Z5').roomC;
    expect(lostDrafty).toBeGreaterThan(2 * lostPlain);
    expect(() => referenceHouse({ heatLossScale: 0 })).toThrow(RangeError);
  });
});
