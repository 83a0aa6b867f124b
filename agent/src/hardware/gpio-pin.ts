import { z } from 'zod';
import type { GpioChip } from './gpio-chip.js';

/** onoff's directions: 'high' and 'low' make an output already at that level, with no glitch. */
export type GpioDirection = 'in' | 'out' | 'high' | 'low';
export type GpioEdge = 'none' | 'rising' | 'falling' | 'both';
export type GpioLevel = 0 | 1;

/** The options onoff's Gpio constructor takes. */
export interface GpioPinOptions {
  debounceTimeout?: number;
  activeLow?: boolean;
  reconfigureDirection?: boolean;
}

/** The part of onoff's Gpio the boards use; a test fake implements the same. */
export interface GpioPin {
  readSync(): GpioLevel;
  writeSync(value: GpioLevel): void;
  /** What the kernel says the pin is now ('in' or 'out'); read back to check the setup took. */
  direction(): GpioDirection;
  /** Whether sysfs inverts value reads and writes for this pin. */
  activeLow(): boolean;
  unexport(): void;
}

/** Exports and configures one sysfs GPIO (its global number, not the BCM pin), like `new Gpio(...)`. */
export type GpioFactory = (gpio: number, direction: GpioDirection, edge: GpioEdge, options: GpioPinOptions) => GpioPin;

/**
 * The real factory, on onoff. Loaded on demand: onoff pulls in the epoll native addon and only
 * works where /sys/class/gpio exists, so nothing imports it until the Pi hardware is chosen.
 */
export async function loadOnoffGpio(): Promise<GpioFactory> {
  const { Gpio } = await import('onoff');
  return (gpio, direction, edge, options) => new Gpio(gpio, direction, edge, options);
}

/** BCM pin numbers by name, as a hardware config file gives them. */
export const bcmPinsSchema = z.record(z.string().min(1), z.number().int().min(0).max(63));

/** A board's pins do not fit the chip or each other; nothing was touched. */
export class GpioConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`GPIO configuration refused: ${problems.join('; ')}`);
    this.name = 'GpioConfigError';
  }
}

/** A pin could not be exported or configured; the pins set up before it were released and unexported. */
export class GpioSetupError extends Error {
  constructor(
    readonly channel: string,
    readonly bcmPin: number,
    cause: unknown,
  ) {
    super(`cannot set up GPIO for ${channel} (BCM ${bcmPin}): ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'GpioSetupError';
  }
}

/** Reading or writing a pin that was set up failed. */
export class GpioIoError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'GpioIoError';
  }
}

/** Asked for an output or input the board does not have. */
export class UnknownChannelError extends Error {
  constructor(
    readonly kind: 'output' | 'input',
    readonly channel: string,
    known: readonly string[],
  ) {
    super(`unknown ${kind} "${channel}"; this board has ${known.length === 0 ? 'none' : known.join(', ')}`);
    this.name = 'UnknownChannelError';
  }
}

/** Used after close(). */
export class BoardClosedError extends Error {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = 'BoardClosedError';
  }
}

export interface ResolvedPin {
  name: string;
  bcmPin: number;
  /** sysfs GPIO number: chip base + BCM pin. */
  gpio: number;
}

/**
 * Maps names to sysfs numbers on the chip, checking every pin first so a bad config touches no
 * hardware. `taken` holds BCM pins already used by another board.
 */
export function resolvePins(chip: GpioChip, pins: Readonly<Record<string, number>>, taken: ReadonlySet<number> = new Set()): ResolvedPin[] {
  const problems: string[] = [];
  const seen = new Map<number, string>();
  const resolved: ResolvedPin[] = [];
  for (const [name, bcmPin] of Object.entries(pins)) {
    if (!Number.isInteger(bcmPin) || bcmPin < 0 || bcmPin >= chip.ngpio) {
      problems.push(`${name}: BCM pin ${bcmPin} is not on ${chip.label} (lines 0..${chip.ngpio - 1})`);
      continue;
    }
    const other = seen.get(bcmPin);
    if (other !== undefined) problems.push(`${name}: BCM pin ${bcmPin} is already ${other}`);
    else if (taken.has(bcmPin)) problems.push(`${name}: BCM pin ${bcmPin} is used by another board`);
    seen.set(bcmPin, name);
    resolved.push({ name, bcmPin, gpio: chip.base + bcmPin });
  }
  if (problems.length > 0) throw new GpioConfigError(problems);
  return resolved;
}

/** Unexports a pin, ignoring a pin already gone. Unexport leaves an output at its last level. */
export function unexportQuietly(pin: GpioPin): void {
  try {
    pin.unexport();
  } catch {
    // Already unexported, or never fully exported: nothing is left to release.
  }
}
