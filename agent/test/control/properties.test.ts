import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { EventEntry, type CommandBody, type WeeklySchedule } from '@boiler/shared';
import type { SensorReading } from '../../src/hardware/types.js';
import {
  applyCommand,
  initialState,
  parseEngineState,
  tick,
  type EngineConfig,
  type EngineEvent,
  type EngineState,
  type Readings,
  type ZoneReadings,
} from '../../src/control/index.js';
import { configOf, type ZoneInput } from './rig.js';

// Temperatures in tenths, as sensors report them. Half of them are placed relative to the zone's
// own limits (exactly on, a tenth either side, or a few degrees off) so boundaries are hit often.
const tenths = (min: number, max: number) => fc.integer({ min: min * 10, max: max * 10 }).map((t) => t / 10);
type Anchor = 'freeze_room_c' | 'freeze_pipe_c' | 'high_limit_c';
type TemperatureSpec = { anchor: 'free'; celsius: number } | { anchor: Anchor; delta: number };
const temperature: fc.Arbitrary<TemperatureSpec> = fc.oneof(
  fc.oneof(tenths(-10, 16), tenths(14, 24), tenths(18, 45)).map((celsius) => ({ anchor: 'free' as const, celsius })),
  fc.record({
    anchor: fc.constantFrom<Anchor>('freeze_room_c', 'freeze_pipe_c', 'high_limit_c'),
    delta: fc.oneof(fc.constantFrom(-0.1, 0, 0.1, 2.9, 3), tenths(-4, 4)),
  }),
);
type ReadingSpec = { ok: true; temperature: TemperatureSpec } | Extract<SensorReading, { ok: false }>;
const reading: fc.Arbitrary<ReadingSpec> = fc.oneof(
  { weight: 9, arbitrary: temperature.map((t): ReadingSpec => ({ ok: true, temperature: t })) },
  { weight: 1, arbitrary: fc.constantFrom<ReadingSpec>({ ok: false, fault: 'crc', detail: 'bad crc', at: 0 }, { ok: false, fault: 'stale', detail: 'old', at: 0 }) },
);

function resolve(spec: ReadingSpec, zone: EngineConfig['zones'][number]): SensorReading {
  if (!spec.ok) return spec;
  const t = spec.temperature;
  const celsius = t.anchor === 'free' ? t.celsius : Math.round((zone[t.anchor] + t.delta) * 10) / 10;
  return { ok: true, celsius, at: 0 };
}

const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);
const heatDay = fc.array(fc.record({ at: clock, setpoint_c: tenths(5, 32) }), { maxLength: 4 });
const onOffDay = fc.array(fc.record({ at: clock, on: fc.boolean() }), { maxLength: 4 });
const week = (day: fc.Arbitrary<WeeklySchedule['mon']>): fc.Arbitrary<WeeklySchedule> =>
  fc.record({ sun: day, mon: day, tue: day, wed: day, thu: day, fri: day, sat: day });

/** A zone anywhere within the zones schema's bounds. */
const zoneInput = (name: string): fc.Arbitrary<ZoneInput> =>
  fc
    .record({
      kind: fc.constantFrom('heat', 'heat', 'onoff'),
      hasPipe: fc.boolean(),
      hasThermostat: fc.boolean(),
      min_on_s: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 3600 })),
      min_off_s: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 3600 })),
      max_run_alert_s: fc.integer({ min: 60, max: 8 * 3600 }),
      max_run_off_s: fc.integer({ min: 60, max: 8 * 3600 }),
      freeze_room_c: tenths(1, 15),
      freeze_pipe_c: tenths(0, 15),
      high_limit_c: tenths(20, 40),
      differential_c: tenths(0.1, 5),
      failsafe: fc.record({
        action: fc.constantFrom('duty', 'off', 'on'),
        duty_fraction: fc.double({ min: 0, max: 1, noNaN: true }),
        period_s: fc.integer({ min: 300, max: 7200 }),
      }),
      away_setpoint_c: tenths(5, 32),
      default_setpoint_c: tenths(5, 32),
      ownSchedule: fc.boolean(),
      heatWeek: week(heatDay),
      onOffWeek: week(onOffDay),
    })
    .map(({ kind, hasPipe, hasThermostat, ownSchedule, heatWeek, onOffWeek, ...limits }): ZoneInput => ({
      name,
      label: `Zone ${name}`,
      kind: kind as 'heat' | 'onoff',
      output: `out-${name}`,
      ...(kind === 'heat' ? { room_sensor: `room-${name}` } : {}),
      ...(hasPipe ? { pipe_sensor: `pipe-${name}` } : {}),
      ...(hasThermostat ? { thermostat_input: `in-${name}` } : {}),
      ...(ownSchedule ? { schedule: kind === 'heat' ? heatWeek : onOffWeek } : {}),
      ...limits,
    }));

const configArb: fc.Arbitrary<EngineConfig> = fc
  .record({
    count: fc.integer({ min: 1, max: 4 }),
    plant: fc.constantFrom('none', 'boiler', 'pump', 'both'),
    pump_overrun_s: fc.integer({ min: 0, max: 900 }),
    plantTimes: fc.record({
      boiler_min_on_s: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 })),
      boiler_min_off_s: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 })),
      pump_min_on_s: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 })),
      pump_min_off_s: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 600 })),
    }),
    defaultWeek: fc.oneof(week(heatDay), week(onOffDay)),
  })
  .chain(({ count, plant, pump_overrun_s, plantTimes, defaultWeek }) =>
    fc.tuple(...Array.from({ length: count }, (_, i) => zoneInput(`Z${i}`))).map((zones) =>
      configOf(zones, {
        default_schedule: defaultWeek,
        pump_overrun_s,
        ...plantTimes,
        ...(plant === 'boiler' || plant === 'both' ? { boiler_output: 'boiler' } : {}),
        ...(plant === 'pump' || plant === 'both' ? { pump_output: 'pump' } : {}),
      }),
    ),
  );

/** A command, given the wall time it is sent at (so `until` can fall either side of now). */
type CommandAt = (wall: number) => CommandBody;
const zoneRef = fc.constantFrom('Z0', 'Z1', 'Z2', 'Z3', 'Z9');
const untilOffset = fc.integer({ min: -3600, max: 3 * 86_400 }).map((s) => s * 1000);
const commandArb: fc.Arbitrary<CommandAt> = fc.oneof(
  fc.record({ zone: zoneRef, mode: fc.constantFrom('AUTO', 'ON', 'OFF', 'THERMOSTAT') }).map((c) => () => ({ type: 'zone_mode', ...c }) as const),
  fc
    .record({ zone: zoneRef, setpoint_c: tenths(5, 32), override: fc.constantFrom('next_change', 'permanent', 'until'), offset: fc.option(untilOffset, { nil: undefined }) })
    .map(({ offset, ...c }) => (wall: number) => ({ type: 'setpoint', ...c, ...(offset === undefined ? {} : { until: Math.max(0, wall + offset) }) }) as const),
  fc.record({ zone: zoneRef, minutes: fc.integer({ min: 1, max: 240 }) }).map((c) => () => ({ type: 'boost', ...c }) as const),
  zoneRef.map((zone) => () => ({ type: 'clear_override', zone }) as const),
  fc.option(untilOffset, { nil: undefined }).map((offset) => (wall: number) => ({ type: 'away', ...(offset === undefined ? {} : { until: Math.max(0, wall + offset) }) }) as const),
  fc.constant(() => ({ type: 'home' }) as const),
  fc.record({ zone: fc.constantFrom('Z0', 'Z1', 'default'), schedule: fc.oneof(week(heatDay), week(onOffDay)) }).map((c) => () => ({ type: 'schedule_set', ...c }) as const),
  fc.constantFrom('freeze_risk:Z0', 'high_limit:Z1', 'sensor_fault:Z0', 'long_run:Z0').map((alert_id) => () => ({ type: 'alert_ack', alert_id }) as const),
);

const zoneReadingsArb = fc.record({ room: reading, pipe: reading, call_for_heat: fc.boolean() });

interface Step {
  /** Seconds on the monotonic clock. */
  dt: number;
  /** Extra seconds the wall clock jumps by (NTP fixes, a dead RTC), usually none. */
  wallJump: number;
  zones: { room: ReadingSpec; pipe: ReadingSpec; call_for_heat: boolean }[];
  command: CommandAt | null;
}

const stepArb: fc.Arbitrary<Step> = fc.record({
  dt: fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 1200 })),
  wallJump: fc.oneof({ weight: 8, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: -2 * 86_400, max: 2 * 86_400 }) }),
  zones: fc.array(zoneReadingsArb, { minLength: 4, maxLength: 4 }),
  command: fc.option(commandArb, { nil: null, freq: 3 }),
});

const scenarioArb = fc.record({
  config: configArb,
  startWall: fc.integer({ min: Date.UTC(2026, 0, 1), max: Date.UTC(2026, 11, 31) }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 60 }),
});

function readingsFor(config: EngineConfig, step: Step): Readings {
  const zones = new Map<string, ZoneReadings>();
  config.zones.forEach((zone, i) => {
    const r = step.zones[i];
    if (r === undefined) return;
    zones.set(zone.name, {
      ...(zone.room_sensor === undefined ? {} : { room: resolve(r.room, zone) }),
      ...(zone.pipe_sensor === undefined ? {} : { pipe: resolve(r.pipe, zone) }),
      call_for_heat: r.call_for_heat,
    });
  });
  return { zones };
}

const healthy = (r: SensorReading | undefined): number | null => (r?.ok === true ? r.celsius : null);

/**
 * Drives the engine through a scenario and calls `check` after every tick with what the output
 * did and what the readings were.
 */
function simulate(
  scenario: { config: EngineConfig; startWall: number; steps: Step[] },
  check: (c: {
    zone: EngineConfig['zones'][number];
    on: boolean;
    wasOn: boolean;
    mono: number;
    lastChangeMono: number;
    roomC: number | null;
    pipeC: number | null;
  }) => void,
): { state: EngineState; events: EngineEvent[] } {
  const { config, steps } = scenario;
  const events: EngineEvent[] = [];
  let wall = scenario.startWall;
  let mono = 5_000;
  let state = initialState(config, { wall, mono });
  const lastChange = config.zones.map(() => mono);
  const wasOn = config.zones.map(() => false);
  let zoneWasOpen = false;
  const plant = { boiler: { on: false, changed: mono }, pump: { on: false, changed: mono } };
  for (const step of steps) {
    mono += step.dt * 1000;
    wall = Math.max(0, wall + (step.dt + step.wallJump) * 1000);
    const now = { wall, mono };
    if (step.command !== null) {
      const result = applyCommand(config, state, step.command(wall), now);
      if (result.ok) {
        state = result.state;
        events.push(result.event);
      }
    }
    const readings = readingsFor(config, step);
    const result = tick(config, state, readings, now);
    state = result.state;
    events.push(...result.events);
    let zoneOpenNow = false;
    let zoneOpenBoth = false;
    const wasOnBefore = [...wasOn];
    config.zones.forEach((zone, i) => {
      const on = result.outputs.get(zone.output);
      expect(on, `output ${zone.output} missing`).toBeTypeOf('boolean');
      const zr = readings.zones.get(zone.name);
      check({
        zone,
        on: on === true,
        wasOn: wasOn[i] === true,
        mono,
        lastChangeMono: lastChange[i] as number,
        roomC: healthy(zr?.room),
        pipeC: healthy(zr?.pipe),
      });
      if (on === true) {
        zoneOpenNow = true;
        if (wasOn[i] === true) zoneOpenBoth = true;
      }
      if (on !== wasOn[i]) lastChange[i] = mono;
      wasOn[i] = on === true;
    });
    // The boiler's and the pump's minimum times, like a zone's; the one exception is the boiler
    // stopping early because every valve it fired into closed at its high limit.
    for (const [what, name, minOn, minOff] of [
      ['boiler', config.boiler_output, config.boiler_min_on_s, config.boiler_min_off_s],
      ['pump', config.pump_output, config.pump_min_on_s, config.pump_min_off_s],
    ] as const) {
      if (name === undefined) continue;
      const on = result.outputs.get(name) === true;
      const before = plant[what];
      if (on === before.on) continue;
      const heldMs = mono - before.changed;
      if (on) expect(heldMs, `${what} on after ${heldMs} ms off`).toBeGreaterThanOrEqual(minOff * 1000);
      else if (heldMs < minOn * 1000) {
        expect(what, `pump off after ${heldMs} ms on`).toBe('boiler');
        const stillSafe = config.zones.filter((zone, i) => {
          const roomC = healthy(readings.zones.get(zone.name)?.room);
          return wasOnBefore[i] === true && !(roomC !== null && roomC >= zone.high_limit_c);
        });
        expect(stillSafe.map((z) => z.name), `boiler off after ${heldMs} ms on with valves still open to it`).toEqual([]);
      }
      plant[what] = { on, changed: mono };
    }
    // The boiler fires only against a valve that was already open at the tick before.
    if (config.boiler_output !== undefined && result.outputs.get(config.boiler_output) === true) {
      expect(zoneOpenBoth, 'boiler fired without a valve open since the previous tick').toBe(true);
      expect(zoneWasOpen).toBe(true);
      if (config.pump_output !== undefined) expect(result.outputs.get(config.pump_output)).toBe(true);
    }
    zoneWasOpen = zoneOpenNow;
  }
  return { state, events };
}

const RUNS = { numRuns: 400 };

describe('safety properties over arbitrary configs, readings, commands and clocks', () => {
  it('(1) a zone is never on while its room reads at or above its high limit', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        simulate(scenario, ({ zone, on, roomC }) => {
          if (roomC !== null && roomC >= zone.high_limit_c) expect(on, `${zone.name} on at ${roomC} °C ≥ ${zone.high_limit_c}`).toBe(false);
        });
      }),
      RUNS,
    );
  });

  it('(2) no output switches again inside its minimum time, except a high-limit trip to off', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        simulate(scenario, ({ zone, on, wasOn, mono, lastChangeMono, roomC }) => {
          if (on === wasOn) return;
          const heldMs = mono - lastChangeMono;
          if (on) {
            expect(heldMs, `${zone.name} on after ${heldMs} ms off`).toBeGreaterThanOrEqual(zone.min_off_s * 1000);
          } else if (!(roomC !== null && roomC >= zone.high_limit_c)) {
            expect(heldMs, `${zone.name} off after ${heldMs} ms on`).toBeGreaterThanOrEqual(zone.min_on_s * 1000);
          }
        });
      }),
      RUNS,
    );
  });

  it('(3) freeze protection wins over every mode and command once the minimum off time has passed', () => {
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        simulate(scenario, ({ zone, on, wasOn, mono, lastChangeMono, roomC, pipeC }) => {
          const freezing = (roomC !== null && roomC < zone.freeze_room_c) || (pipeC !== null && pipeC < zone.freeze_pipe_c);
          // The high limit is the one thing above it (a room that warm means a sensor is lying).
          const overHigh = roomC !== null && roomC >= zone.high_limit_c;
          const mayRun = wasOn || mono - lastChangeMono >= zone.min_off_s * 1000;
          if (freezing && !overHigh && mayRun) expect(on, `${zone.name} off while freezing (room ${roomC}, pipe ${pipeC})`).toBe(true);
        });
      }),
      RUNS,
    );
  });

  it('every state it produces parses back through the persisted-state schema, and every event through the log schema', () => {
    const LoggedEvent = EventEntry.omit({ seq: true });
    fc.assert(
      fc.property(scenarioArb, (scenario) => {
        const { state, events } = simulate(scenario, () => undefined);
        expect(parseEngineState(JSON.parse(JSON.stringify(state)))).toEqual(state);
        for (const event of events) expect(LoggedEvent.safeParse(event).error).toBeUndefined();
      }),
      { numRuns: 100 },
    );
  });
});
