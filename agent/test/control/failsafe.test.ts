import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import type { SensorReading } from '../../src/hardware/types.js';
import { ZonesFile } from '../../src/zones.js';
import { failsafeDuty, failsafeWeather } from '../../src/control/safety.js';
import { configOf, everyDay, faulty, heatZone, ok, readingsOf, Rig, type ZoneInput } from './rig.js';

const PERIOD_S = 1200;

/** A zone whose room sensor has failed, with a pipe reading warm enough to keep freeze protection out of it. */
const blind = (outdoor: SensorReading | undefined) => readingsOf({ Z1: { room: faulty(), pipe: ok(30) } }, outdoor === undefined ? {} : { outdoor });

/** The share of time the valve was on over `periods` whole fail-safe periods, ticking every 10 s. */
function onShare(rig: Rig, outdoor: SensorReading | undefined, periods = 2): number {
  let on = 0;
  const ticks = (periods * PERIOD_S) / 10;
  for (let i = 0; i < ticks; i++) {
    rig.tick(blind(outdoor));
    if (rig.output('valve-Z1')) on++;
    rig.advance(10);
  }
  return on / ticks;
}

function blindRig(failsafe: ZoneInput['failsafe'] = {}, extra: Partial<ZoneInput> = {}, file: { design_outdoor_c?: number } = {}): Rig {
  const rig = new Rig(configOf([heatZone('Z1', { failsafe: { period_s: PERIOD_S, ...failsafe }, ...extra })], { outdoor_sensor: 'outdoor', ...file }));
  rig.mono = 100 * PERIOD_S * 1000; // the start of a period
  return rig;
}

describe('the sensor-fault fail-safe follows the weather', () => {
  it('gives more on-time the colder it is outside, on the monotonic clock', () => {
    // Defaults: hold 12 °C, design cold -20 °C, so a full duty is assumed to hold 40 K over outdoors.
    const shares = [10, 0, -10, -20].map((c) => onShare(blindRig(), ok(c)));
    expect(shares).toEqual([0.2, 0.3, 0.55, 0.8]);
  });

  it('stays within the configured bounds', () => {
    expect(onShare(blindRig({ min_duty: 0.25, max_duty: 0.6 }), ok(15))).toBe(0.25);
    expect(onShare(blindRig({ min_duty: 0.25, max_duty: 0.6 }), ok(-25))).toBe(0.6);
    // At the default bounds the coldest weather gets the valve on all the time.
    expect(onShare(blindRig(), ok(-35))).toBe(1);
  });

  it('with the outdoor sensor failed too, plans for the design cold and says so', () => {
    const rig = blindRig({}, {}, { design_outdoor_c: -30 });
    // (12 - -30) / (20 - -30) = 0.84 of the period.
    expect(onShare(rig, faulty())).toBeCloseTo(0.84, 2);
    const on = rig.events.find((e) => e.zone === 'Z1' && e.event === 'ON');
    expect(on?.source).toBe('safety');
    expect(on?.detail).toBe('room sensor fault: fail-safe duty 84 % for the -30 °C design cold (no outdoor reading)');
    // No outdoor sensor fitted at all is the same guess.
    expect(onShare(blindRig({}, {}, { design_outdoor_c: -30 }), undefined)).toBeCloseTo(0.84, 2);
    // A healthy reading names what it planned for.
    const sighted = blindRig();
    onShare(sighted, ok(-10), 1);
    expect(sighted.events.find((e) => e.event === 'ON')?.detail).toBe('room sensor fault: fail-safe duty 55 % for -10 °C outdoors');
  });

  it('keeps the minimum on and off times when the duty asks for shorter parts', () => {
    // 0.1 of 1200 s is a 120 s on part against a 300 s minimum on; 0.95 leaves a 60 s off part against a 240 s minimum off.
    const short = blindRig({ min_duty: 0.1, max_duty: 0.1 }, { min_on_s: 300, min_off_s: 240 });
    const longOn = blindRig({ min_duty: 0.95, max_duty: 0.95 }, { min_on_s: 300, min_off_s: 240 });
    for (const rig of [short, longOn]) onShare(rig, ok(0), 4);
    for (const rig of [short, longOn]) {
      const switches = rig.events.filter((e) => e.zone === 'Z1' && (e.event === 'ON' || e.event === 'OFF'));
      expect(switches.length).toBeGreaterThan(4);
      for (const e of switches.slice(1)) {
        if (e.event === 'OFF') expect(e.duration_s).toBeGreaterThanOrEqual(300);
      }
    }
    // The short duty is stretched to the minimum on time; the long one loses what the minimum off time takes.
    expect(short.events.filter((e) => e.event === 'OFF').every((e) => e.duration_s === 300)).toBe(true);
    const onWalls = longOn.events.filter((e) => e.event === 'ON').map((e) => e.ts);
    const offWalls = longOn.events.filter((e) => e.event === 'OFF').map((e) => e.ts);
    for (let i = 0; i < offWalls.length && i + 1 < onWalls.length; i++) {
      expect((onWalls[i + 1] as number) - (offWalls[i] as number)).toBeGreaterThanOrEqual(240_000);
    }
  });

  it('a fixed duty_fraction ignores the weather, as the fail-safe did before', () => {
    expect(onShare(blindRig({ duty_fraction: 0.25 }), ok(-30))).toBe(0.25);
    expect(onShare(blindRig({ duty_fraction: 0.25 }), ok(10))).toBe(0.25);
  });
});

describe('failsafeDuty', () => {
  const failsafe = ZonesFile.parse({ default_schedule: everyDay([]), zones: [heatZone('Z1')] }).zones[0]!.failsafe;

  it('takes a learned span only when it is smaller than the design one (the zone needs more heat than its sizing says)', () => {
    const weather = failsafeWeather(-10, -20);
    expect(failsafeDuty(failsafe, weather, -20)).toBeCloseTo(22 / 40);
    expect(failsafeDuty(failsafe, weather, -20, 30)).toBeCloseTo(22 / 30);
    expect(failsafeDuty(failsafe, weather, -20, 80)).toBeCloseTo(22 / 40);
  });

  it('plans for the design cold without an outdoor reading', () => {
    expect(failsafeWeather(null, -25)).toEqual({ outdoorC: -25, measured: false });
    expect(failsafeWeather(3.5, -25)).toEqual({ outdoorC: 3.5, measured: true });
  });

  it('stays within its bounds and never gives less on-time when it is colder, whatever it learned', () => {
    const bounds = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true })).map(([a, b]) => [Math.min(a, b), Math.max(a, b)] as const);
    fc.assert(
      fc.property(
        bounds,
        fc.double({ min: 5, max: 20, noNaN: true }),
        fc.double({ min: -50, max: 5, noNaN: true }),
        fc.option(fc.double({ min: 0.1, max: 200, noNaN: true }), { nil: null }),
        fc.double({ min: -60, max: 50, noNaN: true }),
        fc.double({ min: 0, max: 30, noNaN: true }),
        ([min, max], hold, design, learned, outdoor, colder) => {
          const fs = { ...failsafe, min_duty: min, max_duty: max, hold_c: hold };
          const warm = failsafeDuty(fs, failsafeWeather(outdoor, design), design, learned);
          const cold = failsafeDuty(fs, failsafeWeather(outdoor - colder, design), design, learned);
          expect(warm).toBeGreaterThanOrEqual(min);
          expect(warm).toBeLessThanOrEqual(max);
          expect(cold).toBeGreaterThanOrEqual(warm);
          // Learning may only add on-time to what the design sizing gives.
          expect(warm).toBeGreaterThanOrEqual(failsafeDuty(fs, failsafeWeather(outdoor, design), design, null));
        },
      ),
    );
  });

  it('the schema refuses a minimum duty above the maximum', () => {
    const parsed = ZonesFile.safeParse({ default_schedule: everyDay([]), zones: [heatZone('Z1', { failsafe: { min_duty: 0.5, max_duty: 0.4 } })] });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues[0]?.message).toBe('min_duty must not exceed max_duty');
  });
});
