import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { quantiseDs18b20 } from '../../src/hardware/simulator/index.js';
import { HOUR, MINUTE, readOne, referenceHouse, referenceZones } from './reference-house.js';

const file = referenceZones();
const ALL_SENSORS = [
  ...(file.outdoor_sensor === undefined ? [] : [file.outdoor_sensor]),
  ...file.zones.flatMap((z) => [z.room_sensor, z.pipe_sensor].filter((id): id is string => id !== undefined)),
];

/** Runs the house through a heating spell, reading every sensor each `everyMs`. */
async function recordReadings(seed: number, everyMs = 10 * MINUTE) {
  const house = referenceHouse({ seed });
  house.relays.set('boiler', true);
  house.relays.set('pump', true);
  house.relays.set('zone2', true);
  house.relays.set('zone14', true);
  const log: { at: number; id: string; celsius: number; trueC: number }[] = [];
  for (let t = 0; t < 6 * HOUR; t += everyMs) {
    house.advance(everyMs);
    const truth = house.snapshot().sensors;
    for (const [id, reading] of await house.sensors.readAll(ALL_SENSORS)) {
      if (!reading.ok) throw new Error(`${id} faulted: ${reading.detail}`);
      log.push({ at: reading.at, id, celsius: reading.celsius, trueC: truth[id] ?? Number.NaN });
    }
  }
  return { house, log };
}

describe('simulated DS18B20 readings', () => {
  it('every sensor in the zones file is on the bus, the 27 of the reference house', () => {
    expect(ALL_SENSORS).toHaveLength(1 + 13 * 2 + 1);
    const house = referenceHouse();
    expect([...house.sensors.ids()].sort()).toEqual([...ALL_SENSORS].sort());
  });

  it('are quantised to 1/16 °C and within a hair of the true temperature', async () => {
    const { log } = await recordReadings(3);
    expect(log.length).toBe(36 * ALL_SENSORS.length);
    for (const r of log) {
      expect(Number.isInteger(r.celsius * 16), `${r.id} read ${r.celsius}`).toBe(true);
      expect(Math.abs(r.celsius - r.trueC), r.id).toBeLessThanOrEqual(0.02 + 1 / 32 + 1e-9);
    }
    // And they are not all the same value: the house really moved.
    expect(new Set(log.map((r) => r.celsius)).size).toBeGreaterThan(50);
  });

  it('without noise, read exactly the true temperature rounded to 1/16 °C', async () => {
    const house = referenceHouse({ sensorNoiseC: 0, initial: { roomC: 18.04, zones: { Z1: { roomC: 21.3 } } } });
    const truth = house.snapshot().sensors;
    for (const [id, reading] of await house.sensors.readAll(ALL_SENSORS)) {
      expect(reading).toEqual({ ok: true, celsius: Math.round((truth[id] ?? Number.NaN) * 16) / 16, at: house.clock.now() });
    }
    expect(await readOne(house, '28-000000000001')).toMatchObject({ celsius: 21.3125 }); // 21.3 -> 341/16
    expect(await readOne(house, '28-000000000002')).toMatchObject({ celsius: 18.0625 }); // 18.04 -> 289/16
  });

  it('quantise any temperature in range to the nearest 1/16 °C', () => {
    fc.assert(
      fc.property(fc.double({ min: -55, max: 125, noNaN: true }), (c) => {
        const q = quantiseDs18b20(c);
        return Number.isInteger(q * 16) && Math.abs(q - c) <= 1 / 32;
      }),
    );
    expect(quantiseDs18b20(130)).toBe(125);
    expect(quantiseDs18b20(-60)).toBe(-55);
  });

  it('report a sensor id that is not on the bus as missing', async () => {
    const house = referenceHouse();
    expect(await readOne(house, '28-0000deadbeef')).toMatchObject({ ok: false, fault: 'missing', at: house.clock.now() });
  });

  it('carry the simulated wall time', async () => {
    const house = referenceHouse();
    house.advance(90 * MINUTE);
    expect((await readOne(house, '28-000000000001')).at).toBe(house.clock.now());
    expect(house.clock.now()).toBe(referenceHouse().clock.now() + 90 * MINUTE);
  });
});

describe('the seed', () => {
  it('gives the same run for the same seed', async () => {
    const a = await recordReadings(42);
    const b = await recordReadings(42);
    expect(b.log).toEqual(a.log);
    expect(b.house.snapshot()).toEqual(a.house.snapshot());
  });

  it('gives a different run for a different seed', async () => {
    const a = await recordReadings(42);
    const b = await recordReadings(43);
    // The physics is the same; only the noise differs.
    expect(b.house.snapshot()).toEqual(a.house.snapshot());
    const differing = a.log.filter((r, i) => b.log[i]?.celsius !== r.celsius).length;
    expect(differing).toBeGreaterThan(a.log.length / 10);
  });

  it('does not change what a sensor reads when it is read more often', async () => {
    const house = referenceHouse({ seed: 9 });
    house.advance(HOUR);
    const first = await readOne(house, '28-000000000005');
    const again = await readOne(house, '28-000000000005');
    expect(again).toEqual(first);
  });
});
