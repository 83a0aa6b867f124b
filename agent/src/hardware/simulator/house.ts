import { isTimeZone, parseUnknown } from '@boiler/shared';
import type { ZoneConfig, ZonesFile } from '../../zones.js';
import { SimClock } from './clock.js';
import { SimDigitalInputs, SimRelayBoard, SimSensorBus } from './devices.js';
import { InjectedFaults, SimFault, type SimFaultInput, UnknownFaultTargetError } from './faults.js';
import { SeededNoise } from './noise.js';
import { type OutdoorOptions, OutdoorWeather } from './outdoor.js';
import {
  MECHANICAL_ROOM_C,
  ThermalModel,
  heatZoneParams,
  tankZoneParams,
  type ZoneParams,
  type ZoneState,
} from './physics.js';
import { SimThermostat } from './thermostat.js';

/** Starting temperatures, °C; anything not given takes the default shown. */
export interface InitialTemperatures {
  /** Every room (18). */
  roomC?: number;
  /** The boiler water (the mechanical room's 15). */
  boilerC?: number;
  /** Every on/off zone's tank (50). */
  tankC?: number;
  /** Per zone by name; a heat zone's pipe starts at its room's temperature unless given. */
  zones?: Readonly<Record<string, { roomC?: number; pipeC?: number; tankC?: number }>>;
}

export interface SimulatedHouseOptions {
  /** The site's IANA time zone: the outdoor day follows the site's clock. */
  timeZone: string;
  /** Simulated wall time at the start, UTC epoch ms. */
  startWall: number;
  /** Seeds the sensor noise and input chatter (default 1). */
  seed?: number;
  initial?: InitialTemperatures;
  outdoor?: OutdoorOptions;
  /** Every wall thermostat's setpoint, °C (20), and differential (0.5). */
  thermostatSetpointC?: number;
  thermostatDifferentialC?: number;
  /** An on/off zone's tank aquastat, °C (50), and differential (5). */
  aquastatSetpointC?: number;
  aquastatDifferentialC?: number;
  /** Half-width of the uniform sensor noise added before quantising, °C (0.02; 0 for none). */
  sensorNoiseC?: number;
  /** Longest physics step, ms (2000; at most 10,000). The stiffest node, the boiler with every zone open, has a time constant near 20 s. */
  maxStepMs?: number;
  /** Multiplies every room's envelope loss (1); 2.7 is a drafty house on a windy night. */
  heatLossScale?: number;
  /** The wall clock stepped once, `byMs`, when the house has run `afterMs` of simulated time (an NTP correction). */
  clockStep?: { afterMs: number; byMs: number };
}

/** True state of a zone, for tests and the dev view. */
export type ZoneSnapshot =
  | {
      kind: 'heat';
      roomC: number;
      pipeC: number;
      /** Heat the emitter gave the room over the last step, W. */
      emitterW: number;
      circulating: boolean;
      thermostat: ThermostatSnapshot | null;
    }
  | { kind: 'onoff'; tankC: number; circulating: boolean; thermostat: ThermostatSnapshot | null };

export interface ThermostatSnapshot {
  setpointC: number;
  callsForHeat: boolean;
}

/** The house's true state at an instant. */
export interface HouseSnapshot {
  wallMs: number;
  monotonicMs: number;
  outdoorC: number;
  boilerC: number;
  boilerEnabled: boolean;
  burnerFiring: boolean;
  /** Burner heat into the water over the last step, W. */
  burnerW: number;
  outputs: Record<string, { commanded: boolean; physical: boolean }>;
  zones: Record<string, ZoneSnapshot>;
  /** True temperature at each sensor, by id. */
  sensors: Record<string, number>;
}

interface SimZone {
  readonly config: ZoneConfig;
  readonly index: number;
  readonly thermostat: SimThermostat | null;
}

const DEFAULT_ROOM_C = 18;
const DEFAULT_TANK_C = 50;
const MAX_STEP_LIMIT_MS = 10_000;
/** The largest envelope-loss multiplier the simulator accepts. */
export const MAX_HEAT_LOSS_SCALE = 10;

/**
 * The reference house as a thermal model behind the same hardware interfaces as the Pi:
 * `relays`, `inputs` and `sensors` carry the output, input and sensor names of the zones
 * file, and nothing moves until `advance()` steps simulated time.
 */
export class SimulatedHouse {
  readonly relays: SimRelayBoard;
  readonly inputs: SimDigitalInputs;
  readonly sensors: SimSensorBus;
  readonly clock: SimClock;

  private elapsedMs = 0;
  private readonly model: ThermalModel;
  private readonly outdoor: OutdoorWeather;
  private readonly faults: InjectedFaults;
  private readonly zones: readonly SimZone[];
  private readonly maxStepMs: number;
  /** The one wall-clock step still to come, if any. */
  private clockStep: { afterMs: number; byMs: number } | null;
  /** True temperature at each sensor id. */
  private readonly sources = new Map<string, () => number>();

  constructor(
    private readonly file: ZonesFile,
    options: SimulatedHouseOptions,
  ) {
    if (!isTimeZone(options.timeZone)) throw new RangeError(`unknown time zone "${options.timeZone}"`);
    if (!Number.isFinite(options.startWall)) throw new RangeError('startWall must be an epoch in ms');
    this.maxStepMs = options.maxStepMs ?? 2000;
    if (!(this.maxStepMs > 0 && this.maxStepMs <= MAX_STEP_LIMIT_MS)) throw new RangeError(`maxStepMs must be in (0, ${MAX_STEP_LIMIT_MS}]`);
    const noiseC = options.sensorNoiseC ?? 0.02;
    if (!(noiseC >= 0 && noiseC <= 1)) throw new RangeError('sensorNoiseC must be between 0 and 1 °C');
    const heatLossScale = options.heatLossScale ?? 1;
    if (!(heatLossScale > 0 && heatLossScale <= MAX_HEAT_LOSS_SCALE)) throw new RangeError(`heatLossScale must be above 0 and at most ${MAX_HEAT_LOSS_SCALE}`);
    const step = options.clockStep;
    if (step !== undefined && !(Number.isFinite(step.afterMs) && step.afterMs >= 0 && Number.isFinite(step.byMs))) {
      throw new RangeError('clockStep needs a finite, non-negative afterMs and a finite byMs');
    }
    this.clockStep = step ?? null;

    const initial = options.initial ?? {};
    for (const name of Object.keys(initial.zones ?? {})) {
      if (!file.zones.some((z) => z.name === name)) throw new RangeError(`initial temperatures name an unknown zone "${name}"`);
    }

    const params: ZoneParams[] = [];
    const states: ZoneState[] = [];
    const zones: SimZone[] = [];
    for (const [index, config] of file.zones.entries()) {
      const start = initial.zones?.[config.name] ?? {};
      let sensed: number;
      let thermostat: SimThermostat | null = null;
      if (config.kind === 'heat') {
        const roomC = start.roomC ?? initial.roomC ?? DEFAULT_ROOM_C;
        params.push(heatZoneParams(config.sim, heatLossScale));
        states.push({ kind: 'heat', roomC, loopC: start.pipeC ?? roomC, emitterW: 0 });
        sensed = roomC;
        if (config.thermostat_input !== undefined) {
          thermostat = new SimThermostat(options.thermostatSetpointC ?? 20, options.thermostatDifferentialC ?? 0.5, sensed);
        }
      } else {
        const tankC = start.tankC ?? start.pipeC ?? initial.tankC ?? DEFAULT_TANK_C;
        params.push(tankZoneParams(config.sim));
        states.push({ kind: 'tank', tankC });
        sensed = tankC;
        if (config.thermostat_input !== undefined) {
          thermostat = new SimThermostat(options.aquastatSetpointC ?? 50, options.aquastatDifferentialC ?? 5, sensed);
        }
      }
      zones.push({ config, index, thermostat });
    }
    this.zones = zones;
    this.model = new ThermalModel(params, states, initial.boilerC ?? MECHANICAL_ROOM_C);
    this.outdoor = new OutdoorWeather(options.timeZone, options.outdoor);
    this.faults = new InjectedFaults(file.burner_input);
    this.clock = new SimClock(options.startWall, () => this.elapsedMs);
    const noise = new SeededNoise(options.seed ?? 1);

    const outputs = new Set(file.zones.map((z) => z.output));
    if (file.boiler_output !== undefined) outputs.add(file.boiler_output);
    if (file.pump_output !== undefined) outputs.add(file.pump_output);
    this.relays = new SimRelayBoard([...outputs], this.faults);

    const inputs = new Map<string, () => boolean>();
    for (const zone of zones) {
      const input = zone.config.thermostat_input;
      const thermostat = zone.thermostat;
      if (input === undefined || thermostat === null) continue;
      const before = inputs.get(input);
      // Two zones on one input (a shared thermostat) call when either calls.
      inputs.set(input, before === undefined ? () => thermostat.callsForHeat() : () => before() || thermostat.callsForHeat());
    }
    if (file.burner_input !== undefined) inputs.set(file.burner_input, () => this.burnerFiring());
    this.inputs = new SimDigitalInputs(inputs, this.faults, noise, () => this.elapsedMs);

    const sources = this.sources;
    if (file.outdoor_sensor !== undefined) sources.set(file.outdoor_sensor, () => this.outdoorNow());
    for (const zone of zones) {
      const state = states[zone.index];
      if (state === undefined) continue;
      const { room_sensor: room, pipe_sensor: pipe } = zone.config;
      if (state.kind === 'heat') {
        if (room !== undefined) sources.set(room, () => state.roomC);
        if (pipe !== undefined) sources.set(pipe, () => state.loopC);
      } else {
        // An on/off zone's pipe sensor sits on its tank; a room sensor would be in the mechanical room.
        if (room !== undefined) sources.set(room, () => MECHANICAL_ROOM_C);
        if (pipe !== undefined) sources.set(pipe, () => state.tankC);
      }
    }
    this.sensors = new SimSensorBus(sources, this.faults, noise, noiseC, () => this.clock.now(), () => this.elapsedMs);
  }

  /** Steps the physics `dtMs` of simulated time, in sub-steps of at most `maxStepMs`. */
  advance(dtMs: number): void {
    if (!(Number.isFinite(dtMs) && dtMs >= 0)) throw new RangeError('advance() needs a finite, non-negative number of ms');
    if (dtMs === 0) return;
    // Relays and faults cannot change while this runs, so the drive is fixed for the whole call.
    const firing = this.burnerFiring();
    const circulating = this.zones.map((z) => this.circulates(z));
    const steps = Math.ceil(dtMs / this.maxStepMs);
    const h = dtMs / steps;
    const start = this.elapsedMs;
    for (let k = 0; k < steps; k++) {
      const outdoorC = this.outdoorNow();
      this.model.step(h / 1000, { outdoorC, firing, circulating });
      this.elapsedMs = k + 1 === steps ? start + dtMs : start + (k + 1) * h;
      this.senseThermostats();
    }
    this.stepClockWhenDue();
  }

  /** Steps the wall clock alone by `deltaMs` now (the monotonic clock keeps running evenly). */
  stepClock(deltaMs: number): void {
    this.clock.jumpWall(deltaMs);
  }

  private stepClockWhenDue(): void {
    const step = this.clockStep;
    if (step === null || this.elapsedMs < step.afterMs) return;
    this.clockStep = null;
    this.clock.jumpWall(step.byMs);
  }

  /** Injects a fault (validated against the fault schema and the house's names). */
  inject(spec: SimFaultInput): void {
    const fault = parseUnknown(SimFault, spec, 'simulator fault');
    const unknown = targetKnown(fault, this);
    if (unknown !== null) throw new UnknownFaultTargetError(unknown);
    this.faults.apply(fault);
  }

  /** Removes every injected fault. */
  clearFaults(): void {
    this.faults.clear();
  }

  /** What is injected now. */
  activeFaults(): SimFault[] {
    return this.faults.list();
  }

  /** Holds the outdoor temperature (°C), or with null returns it to the day cycle. */
  setOutdoor(celsius: number | null): void {
    if (celsius !== null && !Number.isFinite(celsius)) throw new RangeError('outdoor temperature must be finite');
    this.outdoor.hold(celsius);
  }

  /** Turns a zone's wall thermostat (or tank aquastat) to a new setpoint, °C. */
  setThermostat(zoneName: string, setpointC: number): void {
    const zone = this.zones.find((z) => z.config.name === zoneName);
    if (zone === undefined) throw new RangeError(`no zone named "${zoneName}"`);
    if (zone.thermostat === null) throw new RangeError(`zone ${zoneName} has no thermostat input`);
    zone.thermostat.setSetpoint(setpointC, this.sensedBy(zone));
  }

  /** True temperatures and device states, for tests and the dev view. */
  snapshot(): HouseSnapshot {
    const outputs: HouseSnapshot['outputs'] = {};
    for (const name of this.relays.outputs()) outputs[name] = { commanded: this.relays.get(name), physical: this.relays.physical(name) };
    const zones: HouseSnapshot['zones'] = {};
    for (const zone of this.zones) {
      const state = this.model.states[zone.index];
      if (state === undefined) continue;
      const thermostat = zone.thermostat === null ? null : { setpointC: zone.thermostat.setpoint(), callsForHeat: zone.thermostat.callsForHeat() };
      const circulating = this.circulates(zone);
      zones[zone.config.name] =
        state.kind === 'heat'
          ? { kind: 'heat', roomC: state.roomC, pipeC: state.loopC, emitterW: state.emitterW, circulating, thermostat }
          : { kind: 'onoff', tankC: state.tankC, circulating, thermostat };
    }
    const sensors: HouseSnapshot['sensors'] = {};
    for (const [id, source] of this.sources) sensors[id] = source();
    return {
      wallMs: this.clock.now(),
      monotonicMs: this.clock.monotonic(),
      outdoorC: this.outdoorNow(),
      boilerC: this.model.boilerC,
      boilerEnabled: this.boilerEnabled(),
      burnerFiring: this.burnerFiring(),
      burnerW: this.model.burnerW,
      outputs,
      zones,
      sensors,
    };
  }

  /** The boiler is enabled: its relay's contacts are closed, or with no boiler relay, any zone's are. */
  boilerEnabled(): boolean {
    const boiler = this.file.boiler_output;
    if (boiler !== undefined) return this.relays.physical(boiler);
    return this.zones.some((z) => this.relays.physical(z.config.output));
  }

  /** The burner fires whenever the boiler is enabled, unless locked out. */
  burnerFiring(): boolean {
    return this.boilerEnabled() && !this.faults.burnerLockedOut();
  }

  private circulates(zone: SimZone): boolean {
    const pump = this.file.pump_output;
    return this.relays.physical(zone.config.output) && (pump === undefined || this.relays.physical(pump));
  }

  private outdoorNow(): number {
    return this.outdoor.at(this.clock.now());
  }

  private sensedBy(zone: SimZone): number {
    const state = this.model.states[zone.index];
    if (state === undefined) throw new RangeError(`no state for zone ${zone.config.name}`);
    return state.kind === 'heat' ? state.roomC : state.tankC;
  }

  private senseThermostats(): void {
    for (const zone of this.zones) zone.thermostat?.sense(this.sensedBy(zone));
  }

}

/** Whether the house has what the fault names, of the right sort. */
function targetKnown(fault: SimFault, house: { sensors: SimSensorBus; relays: SimRelayBoard; inputs: SimDigitalInputs }): string | null {
  switch (fault.kind) {
    case 'sensor_missing':
    case 'sensor_power_on':
    case 'sensor_crc':
    case 'sensor_disconnected':
      return house.sensors.has(fault.sensor) ? null : fault.sensor;
    case 'relay_stuck':
      return house.relays.has(fault.output) ? null : fault.output;
    case 'input_chatter':
      return house.inputs.has(fault.input) ? null : fault.input;
    case 'clear': {
      const t = fault.target;
      return t === undefined || house.sensors.has(t) || house.relays.has(t) || house.inputs.has(t) ? null : t;
    }
    case 'burner_lockout':
      return null;
    default: {
      const never: never = fault;
      throw new Error(`unhandled fault ${JSON.stringify(never)}`);
    }
  }
}
