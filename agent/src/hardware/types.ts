/** Why a sensor gave no temperature; a fault is a state the engine acts on, never a number. */
export type SensorFault =
  | 'missing' // no such device on the bus
  | 'crc' // the DS18B20's CRC check failed
  | 'power_on' // 85.0 °C: the sensor reset and never converted
  | 'disconnected' // -127 °C: the bus read back all ones
  | 'out_of_range' // outside what the part or the room can be
  | 'implausible_jump' // changed faster than any room or pipe can
  | 'stale' // no good reading for too long
  | 'read_error'; // the driver failed

export type SensorReading =
  | { ok: true; celsius: number; at: number }
  | { ok: false; fault: SensorFault; detail: string; at: number };

/** The boiler's relays by output name; every output has a level that is safe to leave it at. */
export interface RelayBoard {
  /** The outputs this board drives. */
  outputs(): readonly string[];
  /** Energises (true) or releases (false) an output. Throws on an unknown output. */
  set(output: string, on: boolean): void;
  /** What the board was last told for an output. */
  get(output: string): boolean;
  /** Puts every output in its safe state (released), for shutdown and faults. */
  safeState(): void;
  /** Releases the hardware; outputs are left in their safe state. */
  close(): void;
}

/** Opto-isolated inputs: each zone's wall thermostat call for heat (24 VAC), and burner firing. */
export interface DigitalInputs {
  inputs(): readonly string[];
  /** True when the input is active (the thermostat calls, the burner fires). */
  read(input: string): boolean;
  close(): void;
}

/** DS18B20 sensors on the 1-wire bus, by their 64-bit id ("28-00000abcdef0"). */
export interface SensorBus {
  /** Reads every listed sensor; a sensor that cannot be read yields a fault, never a throw. */
  readAll(ids: readonly string[]): Promise<Map<string, SensorReading>>;
  close(): void;
}

/** Clocks come in through constructors so tests can drive them. */
export interface Clock {
  /** Wall time, UTC epoch ms: for timestamps and schedules. */
  now(): number;
  /** Monotonic ms: for timers a wall-clock jump must not shorten. */
  monotonic(): number;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A repeating timer (the control loop's, the simulator driver's); injected so tests can step it. */
export interface IntervalTimer {
  setInterval(tick: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const nodeIntervalTimer: IntervalTimer = {
  setInterval: (tick, ms) => setInterval(tick, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** The hardware the agent drives: the Pi's, or the simulator's. */
export interface Hardware {
  kind: 'sim' | 'pi';
  relays: RelayBoard;
  inputs: DigitalInputs;
  sensors: SensorBus;
  clock: Clock;
  /** Simulator only: fault injection. */
  simulator?: SimulatorControls | undefined;
}

/** The simulator's dev controls behind `/api/sim/*`. */
export interface SimulatorControls {
  inject(spec: unknown): { ok: true } | { ok: false; message: string };
  clear(): void;
  /** The faults injected now. */
  faults(): unknown[];
  /** The simulated house's true state: what the rooms really are, not what the sensors report. */
  house(): unknown;
  /** Steps the simulated wall clock alone (`{step_s}`), as an NTP correction would. */
  stepClock(spec: unknown): { ok: true; wall: number } | { ok: false; message: string };
}
