import { z } from 'zod';
import type { GpioChip } from './gpio-chip.js';
import {
  BoardClosedError,
  bcmPinsSchema,
  GpioIoError,
  GpioSetupError,
  resolvePins,
  UnknownChannelError,
  unexportQuietly,
  type GpioFactory,
  type GpioLevel,
  type GpioPin,
} from './gpio-pin.js';
import type { RelayBoard } from './types.js';

/** The relay outputs section of the Pi's hardware file. */
export const gpioRelayConfigSchema = z.object({
  /** Output name (as zones.json names it: "boiler", "pump", a zone valve) -> BCM pin. */
  pins: bcmPinsSchema,
  /** Most opto-isolated relay modules energise when their input is pulled low. */
  activeLow: z.boolean().default(false),
});
export type GpioRelayConfig = z.output<typeof gpioRelayConfigSchema>;

export interface GpioRelayDeps {
  chip: GpioChip;
  gpio: GpioFactory;
  /** BCM pins another board already holds; sharing one is refused. */
  takenPins?: ReadonlySet<number>;
}

interface Output {
  bcmPin: number;
  pin: GpioPin;
  on: boolean;
}

/**
 * Relays on sysfs GPIO through onoff. The inversion for active-low boards is done here, with
 * the kernel's active_low forced off, because sysfs applies active_low to value writes but not
 * to the 'high'/'low' directions that set a pin's first level.
 */
export class GpioRelayBoard implements RelayBoard {
  private closed = false;

  private constructor(
    private readonly byName: ReadonlyMap<string, Output>,
    private readonly activeLow: boolean,
  ) {}

  /**
   * Exports every output already at its released level (direction 'high' or 'low', so the pin
   * is driven safe the moment it becomes an output and no relay clicks on at boot), then checks
   * that the kernel took it. On any failure the outputs set up so far are unexported.
   */
  static open(config: GpioRelayConfig, deps: GpioRelayDeps): GpioRelayBoard {
    const resolved = resolvePins(deps.chip, config.pins, deps.takenPins);
    const released: GpioLevel = config.activeLow ? 1 : 0;
    const byName = new Map<string, Output>();
    for (const { name, bcmPin, gpio } of resolved) {
      let pin: GpioPin | undefined;
      try {
        pin = deps.gpio(gpio, released === 1 ? 'high' : 'low', 'none', { activeLow: false, reconfigureDirection: true });
        // onoff swallows configuration errors on a pin that was already exported (after a crash,
        // say), so read back what the kernel holds rather than trust that the setup happened.
        if (pin.direction() !== 'out') throw new Error(`pin is ${pin.direction()} after setup, not out`);
        if (pin.activeLow()) throw new Error('sysfs active_low is still set; writes would be inverted');
        if (pin.readSync() !== released) throw new Error('pin is not at its released level after setup');
        byName.set(name, { bcmPin, pin, on: false });
      } catch (err) {
        if (pin) {
          releaseDespiteSetup(pin, released);
          unexportQuietly(pin);
        }
        for (const output of byName.values()) unexportQuietly(output.pin);
        throw new GpioSetupError(name, bcmPin, err);
      }
    }
    return new GpioRelayBoard(byName, config.activeLow);
  }

  outputs(): readonly string[] {
    return [...this.byName.keys()];
  }

  set(output: string, on: boolean): void {
    if (this.closed) throw new BoardClosedError('relay board');
    const o = this.output(output);
    this.write(output, o, on);
  }

  get(output: string): boolean {
    return this.output(output).on;
  }

  /** Releases every output; tries them all even if one fails, then reports the failures. */
  safeState(): void {
    const failures: string[] = [];
    for (const [name, o] of this.byName) {
      try {
        this.write(name, o, false);
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
    if (failures.length > 0) throw new GpioIoError(`could not release every output: ${failures.join('; ')}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    let failure: unknown;
    try {
      this.safeState();
    } catch (err) {
      failure = err;
    }
    for (const o of this.byName.values()) unexportQuietly(o.pin);
    if (failure !== undefined) throw failure;
  }

  private output(name: string): Output {
    const o = this.byName.get(name);
    if (!o) throw new UnknownChannelError('output', name, this.outputs());
    return o;
  }

  private write(name: string, o: Output, on: boolean): void {
    try {
      o.pin.writeSync(on !== this.activeLow ? 1 : 0);
    } catch (err) {
      throw new GpioIoError(`cannot ${on ? 'energise' : 'release'} ${name} (BCM ${o.bcmPin}): ${(err as Error).message}`, { cause: err });
    }
    o.on = on;
  }
}

/** A line whose setup did not take may still be energised from before; release it as the kernel has it set. */
function releaseDespiteSetup(pin: GpioPin, released: GpioLevel): void {
  try {
    if (pin.direction() === 'out') pin.writeSync(pin.activeLow() ? (released === 1 ? 0 : 1) : released);
  } catch {
    // The line is beyond reach; the setup error that follows says so.
  }
}
