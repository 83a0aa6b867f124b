import { describe, expect, it } from 'vitest';
import { siteTime } from '@boiler/shared';
import { OutdoorWeather } from '../../src/hardware/simulator/index.js';
import { DENVER_MIDNIGHT_JAN_15, HOUR, MINUTE, heatZone, referenceHouse } from './reference-house.js';

/** Samples a day each minute from `startWall`; returns the site hours of the low and the high. */
function extremes(weather: OutdoorWeather, startWall: number, timeZone: string) {
  let low = { c: Number.POSITIVE_INFINITY, hour: Number.NaN };
  let high = { c: Number.NEGATIVE_INFINITY, hour: Number.NaN };
  let biggestStep = 0;
  let previous: number | null = null;
  for (let t = startWall; t < startWall + 24 * HOUR; t += MINUTE) {
    const c = weather.at(t);
    const hour = siteTime(t, timeZone).minutes / 60;
    if (c < low.c) low = { c, hour };
    if (c > high.c) high = { c, hour };
    if (previous !== null) biggestStep = Math.max(biggestStep, Math.abs(c - previous));
    previous = c;
  }
  return { low, high, biggestStep };
}

describe('the outdoor day cycle', () => {
  it('has its low before dawn and its high mid-afternoon, in site time', () => {
    const { low, high, biggestStep } = extremes(new OutdoorWeather('America/Denver'), DENVER_MIDNIGHT_JAN_15, 'America/Denver');
    expect(low.hour).toBeGreaterThanOrEqual(5);
    expect(low.hour).toBeLessThan(7.25); // a January dawn in Denver is about 07:15
    expect(high.hour).toBeGreaterThanOrEqual(13);
    expect(high.hour).toBeLessThanOrEqual(16);
    expect(low.c).toBeCloseTo(-15, 2);
    expect(high.c).toBeCloseTo(5, 2);
    // Smooth: no jump where the rising and falling halves meet.
    expect(biggestStep).toBeLessThan(0.1);
  });

  it('follows the site clock across daylight saving time and in another zone', () => {
    const july = Date.UTC(2025, 6, 15, 6); // 00:00 MDT
    const denverSummer = extremes(new OutdoorWeather('America/Denver'), july, 'America/Denver');
    expect(denverSummer.low.hour).toBeCloseTo(6.5, 1);
    expect(denverSummer.high.hour).toBeCloseTo(15, 1);

    const tokyo = extremes(new OutdoorWeather('Asia/Tokyo'), Date.UTC(2025, 0, 14, 15), 'Asia/Tokyo');
    expect(tokyo.low.hour).toBeCloseTo(6.5, 1);
    // The same instant is a different hour of the day in Tokyo than in Denver.
    const instant = Date.UTC(2025, 0, 15, 13, 30); // 06:30 in Denver, 22:30 in Tokyo
    expect(new OutdoorWeather('America/Denver').at(instant)).toBeCloseTo(-15, 6);
    expect(new OutdoorWeather('Asia/Tokyo').at(instant)).toBeGreaterThan(-10);
  });

  it('takes its own range and can be held at a fixed cold', () => {
    const weather = new OutdoorWeather('America/Denver', { minC: -30, maxC: -20 });
    const { low, high } = extremes(weather, DENVER_MIDNIGHT_JAN_15, 'America/Denver');
    expect(low.c).toBeCloseTo(-30, 2);
    expect(high.c).toBeCloseTo(-20, 2);

    weather.hold(-25);
    expect(weather.at(DENVER_MIDNIGHT_JAN_15 + 15 * HOUR)).toBe(-25);
    expect(weather.held()).toBe(-25);
    weather.hold(null);
    expect(weather.at(DENVER_MIDNIGHT_JAN_15 + 15 * HOUR)).toBeCloseTo(-20, 6);
    expect(() => new OutdoorWeather('America/Denver', { minC: 5, maxC: -5 })).toThrow(RangeError);
  });

  it('drives the house: setOutdoor holds a cold snap and the outdoor sensor reads it', async () => {
    const house = referenceHouse({ sensorNoiseC: 0 });
    house.advance(15 * HOUR); // 15:00 site time: the afternoon high
    expect(house.snapshot().outdoorC).toBeCloseTo(5, 6);
    house.setOutdoor(-28);
    expect(house.snapshot().outdoorC).toBe(-28);
    const readings = await house.sensors.readAll(['28-000000000200']);
    expect(readings.get('28-000000000200')).toMatchObject({ ok: true, celsius: -28 });
    house.setOutdoor(null);
    expect(house.snapshot().outdoorC).toBeCloseTo(5, 6);
  });

  it('cools a house faster in a cold snap than on an ordinary day', () => {
    const mild = referenceHouse({ initial: { roomC: 20 } });
    const snap = referenceHouse({ initial: { roomC: 20 }, outdoor: { fixedC: -25 } });
    mild.advance(12 * HOUR);
    snap.advance(12 * HOUR);
    expect(heatZone(mild.snapshot(), 'Z1').roomC - heatZone(snap.snapshot(), 'Z1').roomC).toBeGreaterThan(2);
  });
});
