import type { z } from 'zod';
import type { CommandBody } from '@boiler/shared';
import { ZonesFile, type ZoneConfig } from '../../src/zones.js';
import type { SensorReading } from '../../src/hardware/types.js';
import {
  applyCommand,
  initialState,
  tick,
  type CommandApplication,
  type EngineConfig,
  type EngineEvent,
  type EngineState,
  type Instant,
  type Readings,
  type TickResult,
  type ZoneReadings,
} from '../../src/control/index.js';

export type ZoneInput = z.input<typeof ZoneConfig>;
export type FileInput = Omit<z.input<typeof ZonesFile>, 'zones'>;

/** Wednesday 2026-01-14 10:00 MST (17:00 UTC): a plain winter weekday in the site's zone. */
export const WED_10AM = Date.UTC(2026, 0, 14, 17, 0);

export const EMPTY_WEEK = { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };

/** Every day the same list of switch points. */
export function everyDay<T>(entries: T[]): { sun: T[]; mon: T[]; tue: T[]; wed: T[]; thu: T[]; fri: T[]; sat: T[] } {
  return { sun: entries, mon: entries, tue: entries, wed: entries, thu: entries, fri: entries, sat: entries };
}

/** A heat zone with sensors and no minimum times unless asked, so a test sees its rule alone. */
export function heatZone(name: string, extra: Partial<ZoneInput> = {}): ZoneInput {
  return {
    name,
    label: `Zone ${name}`,
    output: `valve-${name}`,
    room_sensor: `room-${name}`,
    pipe_sensor: `pipe-${name}`,
    thermostat_input: `tstat-${name}`,
    min_on_s: 0,
    min_off_s: 0,
    ...extra,
  };
}

export function onOffZone(name: string, extra: Partial<ZoneInput> = {}): ZoneInput {
  return { name, label: `Water ${name}`, kind: 'onoff', output: `relay-${name}`, min_on_s: 0, min_off_s: 0, ...extra };
}

/** A config through the real schema, so defaults and bounds are the ones the agent will see. */
export function configOf(zones: ZoneInput[], file: Partial<FileInput> = {}, timeZone = 'America/Denver'): EngineConfig {
  // Like the zones', the boiler's and pump's minimum times are off unless a test asks for them.
  const plantTimes = { boiler_min_on_s: 0, boiler_min_off_s: 0, pump_min_on_s: 0, pump_min_off_s: 0 };
  const parsed = ZonesFile.parse({ default_schedule: everyDay([{ at: '00:00', setpoint_c: 20 }]), ...plantTimes, ...file, zones });
  return { ...parsed, time_zone: timeZone };
}

export function ok(celsius: number): SensorReading {
  return { ok: true, celsius, at: 0 };
}

export function faulty(fault: 'crc' | 'missing' | 'power_on' = 'crc'): SensorReading {
  return { ok: false, fault, detail: 'test fault', at: 0 };
}

export function readingsOf(zones: Record<string, ZoneReadings>, extra: Omit<Readings, 'zones'> = {}): Readings {
  return { zones: new Map(Object.entries(zones)), ...extra };
}

/**
 * The engine on a fake clock: plain numbers for wall and mono, moved by the test. Starts with
 * mono at 10 h so that the initial "off since start" minimum off time is long over unless a
 * test wants otherwise.
 */
export class Rig {
  wall: number;
  mono: number;
  state: EngineState;
  last: TickResult | undefined;
  readonly events: EngineEvent[] = [];

  constructor(
    readonly config: EngineConfig,
    startWall = WED_10AM,
    options: { freshStart?: boolean } = {},
  ) {
    this.wall = startWall;
    this.mono = 1_000_000;
    this.state = initialState(config, this.now());
    if (options.freshStart !== true) {
      // Pretend the outputs have been off for a day.
      const offForADay = { on: false, changed: { wall: startWall - 86_400_000, mono: this.mono - 86_400_000 } };
      this.state = {
        ...this.state,
        zones: this.state.zones.map((z) => ({ ...z, output: offForADay })),
        boiler: offForADay,
        pump: offForADay,
      };
    }
  }

  now(): Instant {
    return { wall: this.wall, mono: this.mono };
  }

  /** Moves both clocks forward together. */
  advance(seconds: number): this {
    this.wall += seconds * 1000;
    this.mono += seconds * 1000;
    return this;
  }

  tick(readings: Readings): TickResult {
    const result = tick(this.config, this.state, readings, this.now());
    this.state = result.state;
    this.last = result;
    this.events.push(...result.events);
    return result;
  }

  /** Ticks every `stepS` seconds for `totalS` seconds with the same readings; returns the last result. */
  run(totalS: number, readings: Readings, stepS = 10): TickResult {
    let result = this.tick(readings);
    for (let t = stepS; t <= totalS; t += stepS) {
      this.advance(stepS);
      result = this.tick(readings);
    }
    return result;
  }

  command(body: CommandBody): CommandApplication {
    const result = applyCommand(this.config, this.state, body, this.now());
    if (result.ok) this.state = result.state;
    return result;
  }

  /** Applies a command that must succeed. */
  do(body: CommandBody): void {
    const result = this.command(body);
    if (!result.ok) throw new Error(`command refused: ${result.error.code}: ${result.error.message}`);
  }

  output(name: string): boolean {
    const value = this.last?.outputs.get(name);
    if (value === undefined) throw new Error(`no output ${name}`);
    return value;
  }

  zone(name: string): EngineState['zones'][number] {
    const zone = this.state.zones.find((z) => z.name === name);
    if (zone === undefined) throw new Error(`no zone ${name}`);
    return zone;
  }
}
