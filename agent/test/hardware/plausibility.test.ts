import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlausibilityFilter, plausibilityOptionsSchema, PlausibleSensorBus } from '../../src/hardware/plausibility.js';
import type { Clock, SensorBus, SensorReading } from '../../src/hardware/types.js';

const MIN = 60_000;
const filter = (options: Record<string, unknown> = {}) =>
  new PlausibilityFilter(plausibilityOptionsSchema.parse({ maxCelsiusPerMinute: 2, marginCelsius: 0.5, confirmReadings: 3, ...options }));

describe('PlausibilityFilter', () => {
  it('accepts the first reading of a sensor, whatever it is', () => {
    expect(filter().check('a', 70, 0)).toEqual({ ok: true });
  });

  it('allows the margin at once and the rate over time', () => {
    const f = filter();
    f.check('a', 20, 0);
    expect(f.check('a', 20.5, 1_000).ok).toBe(true); // within the margin
    expect(f.check('a', 21.5, 2_000).ok).toBe(false); // +1 °C in 1 s: beyond 0.5 + 2 °C/min
    expect(f.check('a', 24.4, 2 * MIN).ok).toBe(true); // +3.9 °C from 20.5 over ~2 min: within 0.5 + 4
  });

  it('drops a single glitch and keeps the old level as the reference', () => {
    const f = filter();
    f.check('a', 20, 0);
    expect(f.check('a', 45, 10_000)).toEqual({ ok: false, detail: expect.stringContaining('25 °C from 20 °C 10 s earlier') });
    expect(f.check('a', 20.1, 20_000).ok).toBe(true);
    expect(f.lastAccepted('a')).toBe(20.1);
    // The glitch left nothing behind: one more reading at 45 starts the count afresh.
    expect(f.check('a', 45, 30_000)).toMatchObject({ ok: false, detail: expect.stringContaining('(1 so far)') });
  });

  it('accepts a new level once confirmReadings readings in a row agree on it', () => {
    const f = filter();
    f.check('a', 20, 0);
    expect(f.check('a', 45, 10_000).ok).toBe(false);
    expect(f.check('a', 45.2, 20_000)).toMatchObject({ ok: false, detail: expect.stringContaining('(2 so far)') });
    expect(f.check('a', 45.1, 30_000).ok).toBe(true);
    expect(f.lastAccepted('a')).toBe(45.1);
  });

  it('does not confirm readings that jump about among themselves', () => {
    const f = filter();
    f.check('a', 20, 0);
    expect(f.check('a', 45, 10_000).ok).toBe(false);
    expect(f.check('a', 60, 20_000).ok).toBe(false);
    expect(f.check('a', 35, 30_000).ok).toBe(false);
    expect(f.lastAccepted('a')).toBe(20);
  });

  it('lets a sensor come back at any level the time away allows', () => {
    const f = filter();
    f.check('a', 20, 0);
    expect(f.check('a', 5, 60 * MIN).ok).toBe(true);
  });

  it('uses a per-sensor rate for fast sensors', () => {
    const f = filter({ perSensor: { pipe: { maxCelsiusPerMinute: 60 } } });
    f.check('pipe', 20, 0);
    f.check('room', 20, 0);
    expect(f.check('pipe', 29, 10_000).ok).toBe(true); // 9 °C in 10 s: within 0.5 + 10
    expect(f.check('room', 29, 10_000).ok).toBe(false);
  });

  it('with confirmReadings 1 believes everything', () => {
    const f = filter({ confirmReadings: 1 });
    f.check('a', 20, 0);
    expect(f.check('a', 100, 1).ok).toBe(true);
  });

  it('never rejects a temperature that moves no faster than the limit', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -40, max: 100, noNaN: true }),
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 10 * MIN }), fraction: fc.double({ min: -1, max: 1, noNaN: true }) }), { maxLength: 50 }),
        (start, steps) => {
          const f = filter();
          let t = 0;
          let celsius = start;
          expect(f.check('a', celsius, t).ok).toBe(true);
          for (const { dt, fraction } of steps) {
            t += dt;
            // Just inside the allowance, so float rounding cannot push it over.
            celsius += fraction * 0.999 * (0.5 + (2 * dt) / MIN);
            expect(f.check('a', celsius, t).ok).toBe(true);
          }
        },
      ),
    );
  });
});

describe('PlausibleSensorBus', () => {
  function scripted(script: Array<Map<string, SensorReading> | Error>): SensorBus & { closed: boolean } {
    return {
      closed: false,
      readAll: () => {
        const next = script.shift();
        if (!next) throw new Error('script ran out');
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      close() {
        this.closed = true;
      },
    };
  }
  let mono = 0;
  const clock: Clock = { now: () => 1_700_000_000_000 + mono, monotonic: () => mono };
  const ok = (celsius: number): SensorReading => ({ ok: true, celsius, at: clock.now() });

  it('turns a jump from any bus into implausible_jump, passes faults through and never throws', async () => {
    mono = 0;
    const inner = scripted([
      new Map([['a', ok(20)]]),
      new Map<string, SensorReading>([
        ['a', ok(50)],
        ['b', { ok: false, fault: 'crc', detail: 'x', at: 1 }],
      ]),
      new Error('simulator stopped'),
    ]);
    const bus = new PlausibleSensorBus(inner, filter(), clock);
    expect((await bus.readAll(['a'])).get('a')).toMatchObject({ ok: true, celsius: 20 });
    mono += 10_000;
    const second = await bus.readAll(['a', 'b']);
    expect(second.get('a')).toMatchObject({ ok: false, fault: 'implausible_jump' });
    expect(second.get('b')).toEqual({ ok: false, fault: 'crc', detail: 'x', at: 1 });
    expect((await bus.readAll(['a'])).get('a')).toMatchObject({ ok: false, fault: 'read_error', detail: expect.stringContaining('simulator stopped') });
    bus.close();
    expect(inner.closed).toBe(true);
  });
});
