import { z } from 'zod';
import { describeIssues } from '@boiler/shared';
import type { Logger } from '@boiler/service';
import type { Hardware } from '../types.js';
import type { ZonesFile } from '../../zones.js';
import { SimDriver } from './driver.js';
import { SimFault } from './faults.js';
import { SimulatedHouse } from './house.js';
import type { SimulatedHouseOptions } from './house.js';

/** A wall-clock step asked for through the API: seconds, either way, at most a year. */
const ClockStepRequest = z.strictObject({ step_s: z.number().min(-366 * 86_400).max(366 * 86_400) });

/**
 * Builds the simulated house from its options, starts it in real time times `speed`, and offers it
 * as the agent's hardware, with the dev routes' controls (faults, the true temperatures, clock steps).
 * `realStart` is the real clock when the options were taken, so the house starts level with it.
 */
export function startSimulatorHardware(zones: ZonesFile, options: SimulatedHouseOptions, speed: number, realStart: number, log: Logger): Hardware {
  const house = new SimulatedHouse(zones, options);
  const driver = new SimDriver(house, { speed });
  // Building the house takes some milliseconds; keep its clock level with the real one's progress.
  const behind = Date.now() - realStart;
  if (behind > 0) house.advance(behind);
  driver.start();
  log.info(
    { speed, start: new Date(house.clock.now()).toISOString(), outdoor_c: Math.round(house.snapshot().outdoorC * 10) / 10, heat_loss_scale: options.heatLossScale ?? 1, clock_step: options.clockStep ?? null },
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
