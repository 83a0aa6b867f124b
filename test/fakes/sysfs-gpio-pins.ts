import type { GpioDirection, GpioEdge, GpioFactory, GpioLevel, GpioPin, GpioPinOptions } from '../../agent/src/hardware/gpio-pin.js';

/** Everything the code under test asked of the pins, in order. */
export type GpioEvent =
  | { kind: 'export'; gpio: number; direction: GpioDirection; edge: GpioEdge; options: GpioPinOptions }
  | { kind: 'write'; gpio: number; value: GpioLevel }
  | { kind: 'read'; gpio: number }
  | { kind: 'unexport'; gpio: number };

interface Line {
  exported: boolean;
  direction: 'in' | 'out';
  activeLow: boolean;
  /** Electrical level on the wire: what a relay module or an opto-isolator sees. */
  physical: GpioLevel;
  /** Every physical level the line was driven to while an output, in order. */
  driven: GpioLevel[];
}

/**
 * A hand-written stand-in for the kernel's sysfs GPIO behind onoff's `new Gpio(...)`. It keeps the
 * kernel's rules that matter for relays: 'high' and 'low' directions set the raw level (active_low
 * ignored), 'out' starts low, value reads and writes go through active_low, an input cannot be
 * written, and unexport leaves the level as it was.
 */
export class FakeSysfsGpio {
  readonly events: GpioEvent[] = [];
  private readonly lines = new Map<number, Line>();
  private readonly failures = new Map<number, Error>();
  private readonly unconfigurable = new Set<number>();

  /** Pass this where the real code takes onoff's constructor. */
  readonly factory: GpioFactory = (gpio, direction, edge, options) => this.export(gpio, direction, edge, options);

  /** A line as it stands before the agent starts, e.g. left exported and energised by a crash. */
  preset(gpio: number, state: { direction: 'in' | 'out'; physical: GpioLevel; activeLow?: boolean; exported?: boolean }): void {
    this.lines.set(gpio, {
      exported: state.exported ?? true,
      direction: state.direction,
      activeLow: state.activeLow ?? false,
      physical: state.physical,
      driven: [],
    });
  }

  /** The next export of this line throws, as EBUSY does when another process holds it. */
  failExport(gpio: number, error = Object.assign(new Error(`EBUSY: resource busy, write '/sys/class/gpio/export' (${gpio})`), { code: 'EBUSY' })): void {
    this.failures.set(gpio, error);
  }

  /**
   * The next export of this already-exported line leaves its direction and active_low as they
   * were: onoff swallows sysfs configuration errors on a line someone exported before it.
   */
  failConfigureSilently(gpio: number): void {
    this.unconfigurable.add(gpio);
  }

  /** Drives an input line from outside (the thermostat's opto-isolator). */
  drive(gpio: number, physical: GpioLevel): void {
    const line = this.line(gpio);
    if (line.direction !== 'in') throw new Error(`fake: gpio ${gpio} is an output; it cannot be driven from outside`);
    line.physical = physical;
  }

  /** The electrical level of a line. */
  physical(gpio: number): GpioLevel {
    return this.line(gpio).physical;
  }

  /** Every level the line was driven to as an output, in order (a relay clicking shows here). */
  driven(gpio: number): readonly GpioLevel[] {
    return this.line(gpio).driven;
  }

  isExported(gpio: number): boolean {
    return this.lines.get(gpio)?.exported ?? false;
  }

  /** Lines currently exported. */
  exported(): number[] {
    return [...this.lines].filter(([, l]) => l.exported).map(([n]) => n);
  }

  private line(gpio: number): Line {
    const line = this.lines.get(gpio);
    if (!line) throw new Error(`fake: gpio ${gpio} was never exported`);
    return line;
  }

  private export(gpio: number, direction: GpioDirection, edge: GpioEdge, options: GpioPinOptions): GpioPin {
    this.events.push({ kind: 'export', gpio, direction, edge, options: { ...options } });
    const failure = this.failures.get(gpio);
    if (failure) {
      this.failures.delete(gpio);
      throw failure;
    }
    const line: Line = this.lines.get(gpio) ?? { exported: true, direction: 'in', activeLow: false, physical: 0, driven: [] };
    line.exported = true;
    this.lines.set(gpio, line);
    if (this.unconfigurable.delete(gpio)) return this.pin(gpio, line);
    // onoff's order: active_low, then direction, then (inputs only) edge.
    if (typeof options.activeLow === 'boolean') line.activeLow = options.activeLow;
    if (direction === 'in') {
      line.direction = 'in';
    } else {
      line.direction = 'out';
      line.physical = direction === 'high' ? 1 : 0;
      line.driven.push(line.physical);
    }
    return this.pin(gpio, line);
  }

  private pin(gpio: number, line: Line): GpioPin {
    const live = (): void => {
      if (!line.exported) throw Object.assign(new Error(`EBADF: gpio ${gpio} is unexported`), { code: 'EBADF' });
    };
    return {
      readSync: () => {
        live();
        this.events.push({ kind: 'read', gpio });
        return (line.activeLow ? 1 - line.physical : line.physical) as GpioLevel;
      },
      writeSync: (value) => {
        live();
        this.events.push({ kind: 'write', gpio, value });
        if (line.direction !== 'out') throw Object.assign(new Error(`EPERM: gpio ${gpio} is an input`), { code: 'EPERM' });
        line.physical = (line.activeLow ? 1 - value : value) as GpioLevel;
        line.driven.push(line.physical);
      },
      direction: () => {
        live();
        return line.direction;
      },
      activeLow: () => {
        live();
        return line.activeLow;
      },
      unexport: () => {
        live();
        this.events.push({ kind: 'unexport', gpio });
        line.exported = false;
      },
    };
  }
}
