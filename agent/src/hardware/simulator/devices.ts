import type { DigitalInputs, RelayBoard, SensorBus, SensorReading } from '../types.js';
import type { InjectedFaults, InjectedSensorFault } from './faults.js';
import { type SeededNoise, streamOf } from './noise.js';

/** Thrown when an output the board does not drive is named. */
export class UnknownOutputError extends Error {
  constructor(readonly output: string) {
    super(`no output named "${output}" on the simulated relay board`);
    this.name = 'UnknownOutputError';
  }
}

/** Thrown when an input the simulator does not have is named. */
export class UnknownInputError extends Error {
  constructor(readonly input: string) {
    super(`no input named "${input}" on the simulated house`);
    this.name = 'UnknownInputError';
  }
}

/** Thrown when a closed device is used. */
export class DeviceClosedError extends Error {
  constructor(readonly device: string) {
    super(`the simulated ${device} is closed`);
    this.name = 'DeviceClosedError';
  }
}

/** DS18B20 resolution at 12 bits, °C. */
export const DS18B20_STEP_C = 0.0625;
/** The part's measuring range, °C. */
export const DS18B20_MIN_C = -55;
export const DS18B20_MAX_C = 125;
/** A conversion takes 750 ms, so the noise on a reading changes once a second. */
const SENSOR_NOISE_TICK_MS = 1000;
// Keeps a chatter stream apart from a sensor stream that happens to hash alike.
const CHATTER_SALT = 0x5bd1e995;

/** Rounds to the 1/16 °C the DS18B20 reports, within its range. */
export function quantiseDs18b20(celsius: number): number {
  const clamped = Math.max(DS18B20_MIN_C, Math.min(DS18B20_MAX_C, celsius));
  return Math.round(clamped / DS18B20_STEP_C) * DS18B20_STEP_C;
}

/** Relays that record commands; a stuck one keeps its contacts where the fault put them. */
export class SimRelayBoard implements RelayBoard {
  private readonly commanded = new Map<string, boolean>();
  private closed = false;

  constructor(
    names: readonly string[],
    private readonly faults: InjectedFaults,
  ) {
    for (const name of names) this.commanded.set(name, false);
  }

  outputs(): readonly string[] {
    return [...this.commanded.keys()];
  }

  set(output: string, on: boolean): void {
    if (this.closed) throw new DeviceClosedError('relay board');
    if (!this.commanded.has(output)) throw new UnknownOutputError(output);
    this.commanded.set(output, on);
  }

  get(output: string): boolean {
    const on = this.commanded.get(output);
    if (on === undefined) throw new UnknownOutputError(output);
    return on;
  }

  /** Whether the contacts are actually closed: the command, unless the relay is stuck. */
  physical(output: string): boolean {
    return this.faults.stuckAt(output) ?? this.get(output);
  }

  has(output: string): boolean {
    return this.commanded.has(output);
  }

  safeState(): void {
    for (const name of this.commanded.keys()) this.commanded.set(name, false);
  }

  close(): void {
    this.safeState();
    this.closed = true;
  }
}

/** Opto inputs reading the simulated thermostats and burner, with injected chatter. */
export class SimDigitalInputs implements DigitalInputs {
  private closed = false;

  constructor(
    private readonly truth: ReadonlyMap<string, () => boolean>,
    private readonly faults: InjectedFaults,
    private readonly noise: SeededNoise,
    private readonly elapsedMs: () => number,
  ) {}

  inputs(): readonly string[] {
    return [...this.truth.keys()];
  }

  has(input: string): boolean {
    return this.truth.has(input);
  }

  read(input: string): boolean {
    if (this.closed) throw new DeviceClosedError('inputs');
    const level = this.truth.get(input);
    if (level === undefined) throw new UnknownInputError(input);
    const value = level();
    const chatter = this.faults.chatterOn(input);
    if (chatter === null) return value;
    const tick = Math.floor(this.elapsedMs() / chatter.periodMs);
    const flip = this.noise.unit(streamOf(input) ^ CHATTER_SALT, tick) < chatter.flipProbability;
    return flip ? !value : value;
  }

  close(): void {
    this.closed = true;
  }
}

const FAULT_DETAIL: Record<InjectedSensorFault, string> = {
  missing: 'sensor not present on the 1-wire bus (simulated)',
  crc: 'scratchpad CRC check failed (simulated)',
  power_on: 'read 85.000 °C, the power-on reset value (simulated)',
  disconnected: 'read -127.000 °C, the bus read back all ones (simulated)',
};

/** A 1-wire bus of simulated DS18B20s reading the model's true temperatures. */
export class SimSensorBus implements SensorBus {
  private closed = false;

  constructor(
    private readonly sources: ReadonlyMap<string, () => number>,
    private readonly faults: InjectedFaults,
    private readonly noise: SeededNoise,
    private readonly noiseC: number,
    private readonly wallMs: () => number,
    private readonly elapsedMs: () => number,
  ) {}

  /** The ids on the bus. */
  ids(): readonly string[] {
    return [...this.sources.keys()];
  }

  has(id: string): boolean {
    return this.sources.has(id);
  }

  readAll(ids: readonly string[]): Promise<Map<string, SensorReading>> {
    const at = this.wallMs();
    const tick = Math.floor(this.elapsedMs() / SENSOR_NOISE_TICK_MS);
    const readings = new Map<string, SensorReading>();
    for (const id of ids) readings.set(id, this.readOne(id, at, tick));
    return Promise.resolve(readings);
  }

  close(): void {
    this.closed = true;
  }

  private readOne(id: string, at: number, tick: number): SensorReading {
    if (this.closed) return { ok: false, fault: 'read_error', detail: 'the simulated bus is closed', at };
    const source = this.sources.get(id);
    if (source === undefined) return { ok: false, fault: 'missing', detail: FAULT_DETAIL.missing, at };
    const fault = this.faults.takeSensorRead(id);
    if (fault !== null) return { ok: false, fault, detail: FAULT_DETAIL[fault], at };
    const noisy = source() + (this.noiseC > 0 ? this.noise.symmetric(streamOf(id), tick, this.noiseC) : 0);
    return { ok: true, celsius: quantiseDs18b20(noisy), at };
  }
}
