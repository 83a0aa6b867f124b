import { z } from 'zod';
import { describeIssues } from '@boiler/shared';
import type { Logger } from '@boiler/service';
import { nodeIntervalTimer, type Hardware, type IntervalTimer } from '../types.js';
import type { ZonesFile } from '../../zones.js';
import { SimDriver } from './driver.js';
import { SimFault } from './faults.js';
import { SimulatedHouse } from './house.js';
import type { SimulatedHouseOptions } from './house.js';

/** A wall-clock step asked for through the API: seconds, either way, at most a year. */
const ClockStepRequest = z.strictObject({ step_s: z.number().min(-366 * 86_400).max(366 * 86_400) });

export interface SimHardwareOptions {
  /** The house: its zones' rooms, weather, start and seed (simHouseOptions). */
  house: SimulatedHouseOptions;
  /** Simulated ms per real ms (SIM_SPEED). */
  speed: number;
  /** The real wall clock when the house's options were taken (its start is level with it). */
  realStart: number;
  /** The real wall clock (Date.now): how far behind `realStart` the house is once built. */
  wallNow?: () => number;
  /** The driver's real monotonic clock (performance.now) and timer (setInterval). */
  realNow?: () => number;
  timer?: IntervalTimer;
}

/**
 * Builds the simulated house from its options, starts it in real time times `speed`, and offers it
 * as the agent's hardware, with the dev routes' controls (faults, the true temperatures, clock steps).
 */
export function createSimHardware(zones: ZonesFile, options: SimHardwareOptions, log: Logger): Hardware {
  const { speed } = options;
  const house = new SimulatedHouse(zones, options.house);
  const driver = new SimDriver(house, { speed, realNow: options.realNow ?? (() => performance.now()), timer: options.timer ?? nodeIntervalTimer });
  // Building the house takes some milliseconds; keep its clock level with the real one's progress.
  const behind = (options.wallNow ?? Date.now)() - options.realStart;
  if (behind > 0) house.advance(behind);
  driver.start();
  log.info(
    { speed, start: new Date(house.clock.now()).toISOString(), outdoor_c: Math.round(house.snapshot().outdoorC * 10) / 10, heat_loss_scale: options.house.heatLossScale ?? 1, clock_step: options.house.clockStep ?? null },
    'house simulator running',
  );
  return {
    kind: 'sim',
    relays: house.relays,
    inputs: house.inputs,
    sensors: house.sensors,
    // Wall time is whole milliseconds (EpochMs); the monotonic clock may keep its fraction.
    clock: { now: () => Math.floor(house.clock.now() + driver.pendingMs()), monotonic: () => house.clock.monotonic() + driver.pendingMs() },
    simulator: {
      inject(spec) {
        const parsed = SimFault.safeParse(spec);
        if (!parsed.success) return { ok: false, message: describeIssues(parsed.error.issues) };
        try {
          house.inject(parsed.data);
          return { ok: true };
        } catch (err) {
          return { ok: false, message: (err as Error).message };
        }
      },
      clear: () => house.clearFaults(),
      faults: () => house.activeFaults(),
      house: () => house.snapshot(),
      stepClock(spec) {
        const parsed = ClockStepRequest.safeParse(spec);
        if (!parsed.success) return { ok: false, message: describeIssues(parsed.error.issues) };
        house.stepClock(parsed.data.step_s * 1000);
        log.warn({ step_s: parsed.data.step_s }, 'simulated wall clock stepped');
        return { ok: true, wall: house.clock.now() };
      },
    },
  };
}
