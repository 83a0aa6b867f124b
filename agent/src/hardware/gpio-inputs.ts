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
  type GpioPin,
} from './gpio-pin.js';
import type { Clock, DigitalInputs } from './types.js';

/** The digital inputs section of the Pi's hardware file. */
export const gpioInputConfigSchema = z.object({
  /** Input name (a zone's call for heat, "burner") -> BCM pin. */
  pins: bcmPinsSchema,
  /** An opto-isolator that pulls the pin to ground when its 24 VAC side is live is active-low. */
  activeLow: z.boolean().default(false),
  /** A changed level is reported only once reads have seen it for this long (0: at once). */
  debounceMs: z.number().int().min(0).max(60_000).default(0),
});
export type GpioInputConfig = z.output<typeof gpioInputConfigSchema>;

export interface GpioInputDeps {
  chip: GpioChip;
  gpio: GpioFactory;
  /** Its monotonic time drives the debounce. */
  clock: Clock;
  /** BCM pins another board already holds; sharing one is refused. */
  takenPins?: ReadonlySet<number>;
}

interface Input {
  bcmPin: number;
  pin: GpioPin;
  /** The debounced level, as last reported. */
  active: boolean;
  /** A different level seen since `since` (monotonic ms), not yet reported. */
  pending: { active: boolean; since: number } | undefined;
}

/**
 * Inputs on sysfs GPIO through onoff, polled: each read samples the pin, so a missed interrupt
 * can never leave a stale call for heat. Pull-ups cannot be set through sysfs; set them in
 * config.txt (gpio=17=ip,pu).
 */
export class GpioDigitalInputs implements DigitalInputs {
  private closed = false;

  private constructor(
    private readonly byName: ReadonlyMap<string, Input>,
    private readonly activeLow: boolean,
    private readonly debounceMs: number,
    private readonly clock: Clock,
  ) {}

  /** Exports every input as 'in' and takes its current level as the starting state. */
  static open(config: GpioInputConfig, deps: GpioInputDeps): GpioDigitalInputs {
    const resolved = resolvePins(deps.chip, config.pins, deps.takenPins);
    const byName = new Map<string, Input>();
    for (const { name, bcmPin, gpio } of resolved) {
      let pin: GpioPin | undefined;
      try {
        pin = deps.gpio(gpio, 'in', 'none', { activeLow: false, reconfigureDirection: true });
        // onoff swallows configuration errors on a pin someone exported before; check what took.
        if (pin.direction() !== 'in') throw new Error(`pin is ${pin.direction()} after setup, not in`);
        if (pin.activeLow()) throw new Error('sysfs active_low is still set; reads would be inverted');
        const active = (pin.readSync() === 1) !== config.activeLow;
        byName.set(name, { bcmPin, pin, active, pending: undefined });
      } catch (err) {
        if (pin) unexportQuietly(pin);
        for (const input of byName.values()) unexportQuietly(input.pin);
        throw new GpioSetupError(name, bcmPin, err);
      }
    }
    return new GpioDigitalInputs(byName, config.activeLow, config.debounceMs, deps.clock);
  }

  inputs(): readonly string[] {
    return [...this.byName.keys()];
  }

  read(name: string): boolean {
    if (this.closed) throw new BoardClosedError('digital inputs');
    const input = this.byName.get(name);
    if (!input) throw new UnknownChannelError('input', name, this.inputs());
    let level: number;
    try {
      level = input.pin.readSync();
    } catch (err) {
      throw new GpioIoError(`cannot read ${name} (BCM ${input.bcmPin}): ${(err as Error).message}`, { cause: err });
    }
    const active = (level === 1) !== this.activeLow;
    if (active === input.active) {
      input.pending = undefined;
      return input.active;
    }
    const now = this.clock.monotonic();
    if (input.pending?.active !== active) input.pending = { active, since: now };
    if (now - input.pending.since >= this.debounceMs) {
      input.active = active;
      input.pending = undefined;
    }
    return input.active;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const input of this.byName.values()) unexportQuietly(input.pin);
  }
}
