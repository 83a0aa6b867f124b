import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@boiler/service';
import { ZonesFile } from '../../src/zones.js';
import { createSimHardware } from '../../src/hardware/simulator/index.js';
import type { Hardware, IntervalTimer } from '../../src/hardware/types.js';

// The simulator assembled as the agent's hardware: caught up to the real time spent building it,
// its clock the house's plus the driver's pending real time, and the dev routes' controls.

const zones = ZonesFile.parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'zones.json'), 'utf8')));
const START = Date.UTC(2026, 0, 14, 17, 0);
const REAL_START = 1_700_000_000_000;
const SENSOR = zones.zones[0]?.room_sensor ?? '';

/** A timer that fires only when the test says, and a real monotonic clock the test moves. */
class SteppedTime implements IntervalTimer {
  real = 50_000;
  private tick: (() => void) | null = null;
  setInterval(tick: () => void): unknown {
    this.tick = tick;
    return 1;
  }
  clearInterval(): void {
    this.tick = null;
  }
  fire(): void {
    this.tick?.();
  }
}

function simHardware(options: { speed?: number; builtAfterMs?: number } = {}): { hardware: Hardware; time: SteppedTime } {
  const time = new SteppedTime();
  const hardware = createSimHardware(
    zones,
    {
      house: { timeZone: 'America/Denver', startWall: START, seed: 3 },
      speed: options.speed ?? 1,
      realStart: REAL_START,
      wallNow: () => REAL_START + (options.builtAfterMs ?? 0),
      realNow: () => time.real,
      timer: time,
    },
    createLogger({ name: 'test', level: 'silent' }),
  );
  return { hardware, time };
}

describe('createSimHardware', () => {
  it('catches the house up to the real time its building took', () => {
    expect(simHardware({ builtAfterMs: 0 }).hardware.clock.now()).toBe(START);
    expect(simHardware({ builtAfterMs: 1500 }).hardware.clock.now()).toBe(START + 1500);
  });

  it('reads its clock as the house’s plus the real time pending since the last driver tick, times the speed', () => {
    const { hardware, time } = simHardware({ speed: 4 });
    const mono0 = hardware.clock.monotonic();
    time.real += 250.5;
    // Between driver ticks the clock still runs: whole wall milliseconds, a monotonic fraction kept.
    expect(hardware.clock.now()).toBe(START + 1002);
    expect(hardware.clock.monotonic() - mono0).toBe(1002);
    const snapshotBefore = JSON.stringify(hardware.simulator?.house());
    time.fire();
    // The tick moves the house by what was pending; the clock neither jumps nor steps back.
    expect(hardware.clock.now()).toBe(START + 1002);
    expect(hardware.clock.monotonic() - mono0).toBe(1002);
    expect(JSON.stringify(hardware.simulator?.house())).not.toBe(snapshotBefore);
  });

  it('offers fault injection: a bad spec answered with its reason, a good one listed until cleared', async () => {
    const { hardware } = simHardware();
    const sim = hardware.simulator;
    expect(hardware.kind).toBe('sim');
    expect(sim?.inject({ kind: 'sensor_melted', sensor: SENSOR })).toMatchObject({ ok: false, message: expect.stringContaining('kind') });
    expect(sim?.inject({ kind: 'sensor_missing', sensor: 'no-such-sensor' })).toMatchObject({ ok: false, message: expect.stringContaining('no-such-sensor') });
    expect(sim?.inject({ kind: 'sensor_missing', sensor: SENSOR })).toEqual({ ok: true });
    expect(sim?.faults()).toEqual([expect.objectContaining({ kind: 'sensor_missing', sensor: SENSOR })]);
    const readings = await hardware.sensors.readAll([SENSOR]);
    expect(readings.get(SENSOR)).toMatchObject({ ok: false, fault: 'missing' });
    sim?.clear();
    expect(sim?.faults()).toEqual([]);
  });

  it('steps the simulated wall clock alone on request, and refuses a step past a year', () => {
    const { hardware } = simHardware();
    const mono = hardware.clock.monotonic();
    expect(hardware.simulator?.stepClock({ step_s: 3600 })).toEqual({ ok: true, wall: START + 3_600_000 });
    expect(hardware.clock.now()).toBe(START + 3_600_000);
    expect(hardware.clock.monotonic()).toBe(mono);
    expect(hardware.simulator?.stepClock({ step_s: 400 * 86_400 })).toMatchObject({ ok: false });
    expect(hardware.clock.now()).toBe(START + 3_600_000);
  });
});
