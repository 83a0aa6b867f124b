import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, describeIssues } from '@boiler/shared';
import type { Logger } from '@boiler/service';
import type { ZonesFile } from '../zones.js';
import type { Hardware } from '../agent.js';
import { systemClock } from './types.js';
import { findPinController } from './gpio-chip.js';
import { loadOnoffGpio } from './gpio-pin.js';
import { GpioRelayBoard, gpioRelayConfigSchema } from './gpio-relays.js';
import { GpioDigitalInputs, gpioInputConfigSchema } from './gpio-inputs.js';
import { W1SensorBus, w1SensorConfigSchema } from './w1-sensors.js';

/** `HARDWARE_FILE`: which BCM pin is which output and input, and where the 1-wire bus is. */
export const PiHardwareFile = z.strictObject({
  relays: gpioRelayConfigSchema,
  inputs: gpioInputConfigSchema,
  w1: w1SensorConfigSchema.default(w1SensorConfigSchema.parse({})),
});
export type PiHardwareFile = z.infer<typeof PiHardwareFile>;

/** Opens the Raspberry Pi's relays, opto inputs and DS18B20 bus; only main.ts calls this, only with HARDWARE=pi. */
export async function buildPiHardware(zones: ZonesFile, file: string, log: Logger): Promise<Hardware> {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError([`HARDWARE_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  const parsed = PiHardwareFile.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `HARDWARE_FILE: ${describeIssues([i])}`));
  const hw = parsed.data;
  const problems: string[] = [];
  const outputs = [...zones.zones.map((z) => z.output), zones.boiler_output, zones.pump_output].filter((o): o is string => o !== undefined);
  for (const o of outputs) if (hw.relays.pins[o] === undefined) problems.push(`HARDWARE_FILE: relays.pins has no pin for output ${o}`);
  const inputs = [...zones.zones.map((z) => z.thermostat_input), zones.burner_input].filter((i): i is string => i !== undefined);
  if (problems.length > 0) throw new ConfigError(problems);
  // A Pi header has too few pins for fourteen thermostats and sixteen relays; an unwired input
  // reads "no call", which only matters to a zone put in THERMOSTAT mode.
  const unwired = inputs.filter((i) => hw.inputs.pins[i] === undefined);
  if (unwired.length > 0) log.warn({ inputs: unwired }, 'inputs named in the zones file have no pin; they read as inactive');

  const chip = findPinController();
  log.info({ label: chip.label, base: chip.base, ngpio: chip.ngpio }, 'GPIO pin controller found');
  const gpio = await loadOnoffGpio();
  const relays = GpioRelayBoard.open(hw.relays, { chip, gpio });
  const digital = GpioDigitalInputs.open(hw.inputs, { chip, gpio, clock: systemClock, takenPins: new Set(Object.values(hw.relays.pins)) });
  const sensors = new W1SensorBus(hw.w1, { clock: systemClock });
  return { kind: 'pi', relays, inputs: digital, sensors, clock: systemClock };
}
