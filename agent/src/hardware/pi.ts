import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, describeIssues } from '@boiler/shared';
import type { Logger } from '@boiler/service';
import type { ZonesFile } from '../zones.js';
import { systemClock, type Hardware } from './types.js';
import { DEFAULT_GPIO_SYSFS_ROOT, findPinController, GpioChipNotFoundError } from './gpio-chip.js';
import { sysfsFileGpio } from './sysfs-file-gpio.js';
import { GpioConfigError, loadOnoffGpio } from './gpio-pin.js';
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
export async function buildPiHardware(zones: ZonesFile, file: string, log: Logger, gpioRoot: string = DEFAULT_GPIO_SYSFS_ROOT): Promise<Hardware> {
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

  let chip;
  try {
    chip = findPinController({ directory: gpioRoot });
  } catch (err) {
    // Said as a configuration problem: on a dry run the installer pointed at the wrong tree.
    if (err instanceof GpioChipNotFoundError) throw new ConfigError([`GPIO_SYSFS_ROOT: ${err.message}`]);
    throw err;
  }
  log.info({ label: chip.label, base: chip.base, ngpio: chip.ngpio, directory: gpioRoot }, 'GPIO pin controller found');
  let gpio;
  if (gpioRoot === DEFAULT_GPIO_SYSFS_ROOT) {
    gpio = await loadOnoffGpio();
  } else {
    // onoff knows only the kernel's path; any other tree is driven with plain file I/O.
    log.warn({ directory: gpioRoot }, 'GPIO_SYSFS_ROOT is not the kernel\'s: driving GPIO by plain file I/O there (a dry run)');
    gpio = sysfsFileGpio(gpioRoot);
  }
  let relays: GpioRelayBoard;
  let digital: GpioDigitalInputs;
  try {
    relays = GpioRelayBoard.open(hw.relays, { chip, gpio });
  } catch (err) {
    if (err instanceof GpioConfigError) throw new ConfigError(err.problems.map((p) => `HARDWARE_FILE: relays: ${p}`));
    throw err;
  }
  try {
    digital = GpioDigitalInputs.open(hw.inputs, { chip, gpio, clock: systemClock, takenPins: new Set(Object.values(hw.relays.pins)) });
  } catch (err) {
    relays.close();
    if (err instanceof GpioConfigError) throw new ConfigError(err.problems.map((p) => `HARDWARE_FILE: inputs: ${p}`));
    throw err;
  }
  const sensors = new W1SensorBus(hw.w1, { clock: systemClock });
  return { kind: 'pi', relays, inputs: digital, sensors, clock: systemClock };
}
