import { z } from 'zod';
import type { SensorFault } from '../types.js';

const SensorId = z.string().min(1).max(64);
const DeviceName = z.string().min(1).max(64);
/** How many reads a sensor fault lasts; absent, it lasts until cleared. */
const Reads = z.number().int().min(1).max(100_000);

/**
 * A fault to inject into the simulator (from tests, or the dev-only HTTP endpoint).
 * A sensor has at most one fault at a time: a new one replaces the old.
 */
export const SimFault = z.discriminatedUnion('kind', [
  /** The sensor is gone from the bus. */
  z.strictObject({ kind: z.literal('sensor_missing'), sensor: SensorId, reads: Reads.optional() }),
  /** The sensor reset and reads its 85 °C power-on value; by default on the next read only. */
  z.strictObject({ kind: z.literal('sensor_power_on'), sensor: SensorId, reads: Reads.default(1) }),
  /** The scratchpad fails its CRC. */
  z.strictObject({ kind: z.literal('sensor_crc'), sensor: SensorId, reads: Reads.optional() }),
  /** The data line is open: the part reads -127 °C. */
  z.strictObject({ kind: z.literal('sensor_disconnected'), sensor: SensorId, reads: Reads.optional() }),
  /** The relay's contacts no longer follow commands (welded on, or a dead coil off); `get()` still reports the command. */
  z.strictObject({ kind: z.literal('relay_stuck'), output: DeviceName, on: z.boolean() }),
  /** The input chatters: in each period it reads inverted with this probability. */
  z.strictObject({
    kind: z.literal('input_chatter'),
    input: DeviceName,
    flip_probability: z.number().min(0).max(1).default(0.5),
    period_ms: z.number().int().min(50).max(600_000).default(1000),
  }),
  /** The burner will not light (out of propane, flame failure): enabled but not firing. */
  z.strictObject({ kind: z.literal('burner_lockout') }),
  /** Clears every fault, or only those on one sensor, output or input (the burner input clears a lockout). */
  z.strictObject({ kind: z.literal('clear'), target: z.string().min(1).max(64).optional() }),
]);
export type SimFault = z.infer<typeof SimFault>;
/** A fault as written by a caller, before defaults. */
export type SimFaultInput = z.input<typeof SimFault>;

/** A sensor fault the simulator can inject, by the fault it produces. */
export type InjectedSensorFault = Extract<SensorFault, 'missing' | 'crc' | 'power_on' | 'disconnected'>;

/** Thrown when a fault names a sensor, output or input the house does not have. */
export class UnknownFaultTargetError extends Error {
  constructor(readonly target: string) {
    super(`the simulated house has no sensor, output or input named "${target}"`);
    this.name = 'UnknownFaultTargetError';
  }
}

type SensorFaultKind = keyof typeof SENSOR_FAULT_OF;

interface SensorFaultEntry {
  kind: SensorFaultKind;
  fault: InjectedSensorFault;
  /** Reads left; null lasts until cleared. */
  readsLeft: number | null;
}

interface Chatter {
  flipProbability: number;
  periodMs: number;
}

const SENSOR_FAULT_OF = {
  sensor_missing: 'missing',
  sensor_power_on: 'power_on',
  sensor_crc: 'crc',
  sensor_disconnected: 'disconnected',
} as const satisfies Record<string, InjectedSensorFault>;

/** The faults currently injected. Targets are checked by the house before they get here. */
export class InjectedFaults {
  private readonly sensors = new Map<string, SensorFaultEntry>();
  private readonly stuck = new Map<string, boolean>();
  private readonly chatter = new Map<string, Chatter>();
  private lockout = false;

  constructor(private readonly burnerInput: string | undefined) {}

  apply(fault: SimFault): void {
    switch (fault.kind) {
      case 'sensor_missing':
      case 'sensor_power_on':
      case 'sensor_crc':
      case 'sensor_disconnected':
        this.sensors.set(fault.sensor, { kind: fault.kind, fault: SENSOR_FAULT_OF[fault.kind], readsLeft: fault.reads ?? null });
        return;
      case 'relay_stuck':
        this.stuck.set(fault.output, fault.on);
        return;
      case 'input_chatter':
        this.chatter.set(fault.input, { flipProbability: fault.flip_probability, periodMs: fault.period_ms });
        return;
      case 'burner_lockout':
        this.lockout = true;
        return;
      case 'clear':
        this.clear(fault.target);
        return;
      default: {
        const never: never = fault;
        throw new Error(`unhandled fault ${JSON.stringify(never)}`);
      }
    }
  }

  /** Clears everything, or what is injected on one target. */
  clear(target?: string): void {
    if (target === undefined) {
      this.sensors.clear();
      this.stuck.clear();
      this.chatter.clear();
      this.lockout = false;
      return;
    }
    this.sensors.delete(target);
    this.stuck.delete(target);
    this.chatter.delete(target);
    if (target === this.burnerInput) this.lockout = false;
  }

  /** The fault a sensor shows on this read, using up one read of a counted fault. */
  takeSensorRead(sensor: string): InjectedSensorFault | null {
    const entry = this.sensors.get(sensor);
    if (entry === undefined) return null;
    if (entry.readsLeft !== null) {
      entry.readsLeft -= 1;
      if (entry.readsLeft <= 0) this.sensors.delete(sensor);
    }
    return entry.fault;
  }

  /** Where a stuck relay is held, or null when it follows commands. */
  stuckAt(output: string): boolean | null {
    return this.stuck.get(output) ?? null;
  }

  chatterOn(input: string): Chatter | null {
    return this.chatter.get(input) ?? null;
  }

  burnerLockedOut(): boolean {
    return this.lockout;
  }

  /** What is injected now, as fault specs (counted sensor faults show the reads left). */
  list(): SimFault[] {
    const out: SimFault[] = [];
    for (const [sensor, { kind, readsLeft }] of this.sensors) {
      if (kind === 'sensor_power_on') out.push({ kind, sensor, reads: readsLeft ?? 1 });
      else if (readsLeft === null) out.push({ kind, sensor });
      else out.push({ kind, sensor, reads: readsLeft });
    }
    for (const [output, on] of this.stuck) out.push({ kind: 'relay_stuck', output, on });
    for (const [input, c] of this.chatter) {
      out.push({ kind: 'input_chatter', input, flip_probability: c.flipProbability, period_ms: c.periodMs });
    }
    if (this.lockout) out.push({ kind: 'burner_lockout' });
    return out;
  }
}
