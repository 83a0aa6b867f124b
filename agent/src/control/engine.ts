import type { Alert, EventSource, ZoneCondition } from '@boiler/shared';
import type { SensorReading } from '../hardware/types.js';
import type { ZoneConfig } from '../zones.js';
import { AlertLedger, alertIds, zoneAlertIds } from './alerts.js';
import type { EngineConfig, Instant } from './config.js';
import { autoSetpoint, liveBoost, liveOverride, scheduleOf } from './modes.js';
import { celsiusOf, reportableCelsius, sensorOf, type Readings, type ZoneReadings } from './readings.js';
import { activeSwitch, scheduleClock, type ScheduleClock } from './schedule.js';
import { learnHeat } from './heat-learning.js';
import { failsafeDuty, failsafeOn, failsafeWeather, freezeProtects, holdMinimumTimes, hysteresis, overHighLimit, type FailsafeWeather } from './safety.js';
import {
  alignZones,
  type Boost,
  type EngineEvent,
  type EngineState,
  type OutputState,
  type Overrun,
  type RiseBaseline,
  type ZoneOverride,
  type ZoneRuntime,
} from './state.js';

/** A run this long that has not warmed its pipe (else its room) by NO_TEMP_RISE_MIN_C raises no_temp_rise. */
export const NO_TEMP_RISE_AFTER_MS = 30 * 60_000;
export const NO_TEMP_RISE_MIN_C = 1;

/** What one tick decided. */
export interface TickResult {
  state: EngineState;
  /** Every zone output, and the boiler and pump outputs when configured, by output name. */
  outputs: ReadonlyMap<string, boolean>;
  events: EngineEvent[];
  alerts: { raised: Alert[]; cleared: Alert[] };
}

/** Why a zone wants what it wants; the layer that decided, for the event's source and detail. */
type Reason =
  | 'thermostat'
  | 'failsafe'
  | 'mode_on'
  | 'mode_off'
  | 'boost'
  | 'away'
  | 'override'
  | 'schedule'
  | 'default'
  | 'high_limit'
  | 'freeze'
  | 'lockout'
  | 'max_run';

const SOURCE_OF: Record<Reason, EventSource> = {
  thermostat: 'thermostat',
  failsafe: 'safety',
  mode_on: 'command',
  mode_off: 'command',
  boost: 'command',
  away: 'control',
  override: 'control',
  schedule: 'control',
  default: 'control',
  high_limit: 'safety',
  freeze: 'safety',
  lockout: 'safety',
  max_run: 'safety',
};

interface ZoneDecision {
  readonly zone: ZoneConfig;
  readonly before: ZoneRuntime;
  readonly override: ZoneOverride | null;
  readonly boost: Boost | null;
  readonly calling: boolean;
  readonly freeze: boolean;
  readonly lockout: boolean;
  readonly condition: ZoneCondition;
  /** The zone's own wish after safety and minimum times; the plant may still hold a valve for overrun. */
  readonly want: boolean;
  readonly reason: Reason;
  readonly setpoint: number | null;
  readonly highLimit: boolean;
  readonly room: SensorReading | null;
  readonly pipe: SensorReading | null;
  readonly roomC: number | null;
  readonly pipeC: number | null;
  /** The fail-safe's plan when it drove the zone this tick, for the event's detail. */
  readonly failsafe: ZoneFailsafe | null;
}

interface ZoneFailsafe {
  readonly duty: number;
  readonly weather: FailsafeWeather;
}

const NO_ZONE_READINGS: ZoneReadings = {};

/**
 * One control step: a pure function of (config, state, readings, now). It never mutates its
 * arguments; the caller drives the relays from `outputs`, logs `events` and keeps `state`.
 */
export function tick(config: EngineConfig, state: EngineState, readings: Readings, now: Instant): TickResult {
  const zones = alignZones(config, state, now);
  // The one read of the site clock this tick (schedules for every zone use it).
  const clock = scheduleClock(now.wall, config.time_zone);
  let away = state.away;
  let awayUntil = state.away_until;
  if (away && awayUntil !== null && now.wall >= awayUntil) {
    away = false;
    awayUntil = null;
  }

  const decisions: ZoneDecision[] = [];
  // What a zone in sensor fault plans for; read once, as every such zone shares the weather.
  const weather = failsafeWeather(celsiusOf(readings.outdoor), config.design_outdoor_c);
  for (let i = 0; i < config.zones.length; i++) {
    const zone = config.zones[i] as ZoneConfig;
    decisions.push(decideZone(zone, zones[i] as ZoneRuntime, readings.zones.get(zone.name) ?? NO_ZONE_READINGS, state, clock, away, now, config.design_outdoor_c, weather));
  }

  const plant = sequencePlant(config, state, decisions, now);
  const events: EngineEvent[] = [];
  const ledger = new AlertLedger(state.alerts, now.wall);
  const outputs = new Map<string, boolean>();
  const outdoorC = reportableCelsius(readings.outdoor);
  const finish: FinishContext = { now, events, ledger, outdoorC, overrunBefore: state.overrun !== null };
  const nextZones: ZoneRuntime[] = [];
  for (let i = 0; i < decisions.length; i++) {
    const decision = decisions[i] as ZoneDecision;
    const on = plant.valves[i] === true;
    outputs.set(decision.zone.output, on);
    nextZones.push(finishZone(decision, on, finish));
  }

  let boiler = state.boiler;
  let pump = state.pump;
  if (config.boiler_output !== undefined) {
    boiler = switchPlantOutput(state.boiler, plant.boiler, 'boiler', finish, plant.why);
    outputs.set(config.boiler_output, boiler.on);
  }
  if (config.pump_output !== undefined) {
    pump = switchPlantOutput(state.pump, plant.pump, 'pump', finish, plant.why);
    outputs.set(config.pump_output, pump.on);
  }
  if (config.outdoor_sensor !== undefined) {
    const outdoor = sensorOf(config.outdoor_sensor, readings.outdoor);
    if (outdoor === null || outdoor.ok) ledger.clear(alertIds.outdoorSensor);
    else if (!ledger.has(alertIds.outdoorSensor)) {
      notify(finish, null, ledger.raise(alertIds.outdoorSensor, 'sensor_fault', null, `outdoor sensor: ${faultText(outdoor)}`));
    }
  }

  return {
    state: {
      ...state,
      away,
      away_until: awayUntil,
      zones: nextZones,
      boiler,
      pump,
      overrun: plant.overrun,
      alerts: ledger.list(),
      last_tick: { wall: now.wall, mono: now.mono },
    },
    outputs,
    events,
    alerts: { raised: ledger.raised, cleared: ledger.cleared },
  };
}

/** One zone's wish this tick: the mode layer, then the safety layer beneath it, then minimum times. */
function decideZone(
  zone: ZoneConfig,
  before: ZoneRuntime,
  zoneReadings: ZoneReadings,
  state: EngineState,
  clock: ScheduleClock,
  away: boolean,
  now: Instant,
  designOutdoorC: number,
  weather: FailsafeWeather,
): ZoneDecision {
  const schedule = scheduleOf(state, before);
  const override = liveOverride(before.override, schedule, clock, now);
  const boost = before.mode === 'AUTO' ? liveBoost(before.boost, now.mono) : null;

  // The mode layer: what the owner's settings ask for.
  const room = sensorOf(zone.room_sensor, zoneReadings.room);
  const pipe = sensorOf(zone.pipe_sensor, zoneReadings.pipe);
  const roomC = celsiusOf(room);
  const pipeC = celsiusOf(pipe);
  // A heat zone cannot regulate without its room temperature: that is the sensor-fault state.
  const blind = zone.kind === 'heat' && roomC === null;
  let want: boolean;
  let reason: Reason;
  let setpoint: number | null = null;
  let failsafe: ZoneFailsafe | null = null;
  if (before.mode === 'THERMOSTAT') {
    want = zoneReadings.call_for_heat === true;
    reason = 'thermostat';
  } else if (blind) {
    // Outranks ON, OFF and boost: without the room temperature the high limit cannot be
    // watched, so the configured fail-safe runs instead. A wall thermostat has its own sensor,
    // which is why THERMOSTAT mode above keeps driving.
    const duty = failsafeDuty(zone.failsafe, weather, designOutdoorC, before.heat.span_c);
    failsafe = { duty, weather };
    want = failsafeOn(zone.failsafe, duty, now.mono);
    reason = 'failsafe';
  } else if (before.mode === 'ON') {
    want = true;
    reason = 'mode_on';
  } else if (before.mode === 'OFF') {
    want = false;
    reason = 'mode_off';
  } else if (boost !== null) {
    want = true;
    reason = 'boost';
  } else if (zone.kind === 'heat' && roomC !== null) {
    const target = autoSetpoint(zone, override, schedule, clock, away);
    setpoint = target.setpoint_c;
    reason = target.source;
    want = hysteresis(roomC, target.setpoint_c, zone.differential_c, before.calling);
  } else {
    want = activeSwitch(schedule, 'onoff', clock)?.on ?? false;
    reason = 'schedule';
  }
  const calling = want;

  // The safety layer beneath it, which no setting reaches.
  const isOn = before.output.on;
  const sinceMs = now.mono - before.output.changed.mono;
  const highLimit = overHighLimit(zone, roomC);
  const freeze = freezeProtects(zone, roomC, pipeC, before.freeze_latched);
  const lockoutHolds = before.lockout && (isOn || sinceMs < zone.min_off_s * 1000);
  let condition: ZoneCondition = blind ? 'sensor_fault' : 'normal';
  let tripped = false;
  if (highLimit) {
    // Beats freeze protection too: a room this warm while a pipe reads freezing means one of the
    // two sensors is wrong, and a runaway zone is certain harm while a pipe beside a warm room is not.
    want = false;
    reason = 'high_limit';
    condition = 'high_limit';
  } else if (freeze) {
    want = true;
    reason = 'freeze';
    condition = 'freeze_protect';
  } else if (lockoutHolds) {
    want = false;
    reason = 'lockout';
    condition = 'max_run_lockout';
  } else if (isOn && sinceMs >= zone.max_run_off_s * 1000) {
    want = false;
    reason = 'max_run';
    condition = 'max_run_lockout';
    tripped = true;
  }
  want = holdMinimumTimes(zone, isOn, sinceMs, want, highLimit);

  return {
    zone,
    before,
    override,
    boost,
    calling,
    freeze,
    lockout: tripped || lockoutHolds,
    condition,
    want,
    reason,
    setpoint,
    highLimit,
    room,
    pipe,
    roomC,
    pipeC,
    failsafe,
  };
}

interface PlantPlan {
  readonly valves: readonly boolean[];
  readonly boiler: boolean;
  readonly pump: boolean;
  readonly overrun: Overrun | null;
  /** Why the boiler and pump are where they are, for the events' detail. */
  readonly why: string;
}

/**
 * Orders the boiler, the pump and the valves. A valve opens first and the boiler fires no
 * earlier than the next tick, so it never fires against closed valves (a dead-headed
 * exchanger kettles). When the last zone stops, the boiler goes off at once and the pump and the
 * valves that were open run on for the overrun, to carry the exchanger's heat away.
 */
function sequencePlant(config: EngineConfig, state: EngineState, decisions: readonly ZoneDecision[], now: Instant): PlantPlan {
  return holdPlantMinimums(config, state, planPlant(config, state, decisions, now), now);
}

/**
 * The boiler's and the pump's minimum times on top of the plan. The boiler's minimum on time is
 * kept inside the plan, where the valves it fires into are held open; here a boiler waits out its
 * minimum off time, the pump keeps its own times, and the boiler fires only into a pump that was
 * already running at the last tick, so the valve-then-pump-then-boiler order holds whatever waits.
 * As for a zone, nothing cuts a minimum off time short, freeze protection included: it waits at
 * most boiler_min_off_s, which a pipe survives, while a short-cycled burner wears with every start.
 */
function holdPlantMinimums(config: EngineConfig, state: EngineState, plan: PlantPlan, now: Instant): PlantPlan {
  let boiler = plan.boiler;
  let pump = plan.pump;
  if (config.boiler_output !== undefined && boiler && !state.boiler.on && now.mono - state.boiler.changed.mono < config.boiler_min_off_s * 1000) {
    boiler = false;
  }
  if (config.pump_output !== undefined) {
    const pumpFor = now.mono - state.pump.changed.mono;
    if (state.pump.on && !pump && pumpFor < config.pump_min_on_s * 1000) pump = true;
    if (!state.pump.on && pump && pumpFor < config.pump_min_off_s * 1000) pump = false;
    if (boiler && !(state.pump.on && pump)) boiler = false;
  }
  return boiler === plan.boiler && pump === plan.pump ? plan : { ...plan, boiler, pump };
}

/** Valves, boiler and pump as the zones' wishes ask, before the plant's own minimum off times. */
function planPlant(config: EngineConfig, state: EngineState, decisions: readonly ZoneDecision[], now: Instant): PlantPlan {
  const wants = decisions.map((d) => d.want);
  if (config.boiler_output === undefined && config.pump_output === undefined) {
    return { valves: wants, boiler: false, pump: false, overrun: null, why: '' };
  }
  let anyWanted = false;
  let valveWasOpen = false;
  for (const d of decisions) {
    if (!d.want) continue;
    anyWanted = true;
    if (d.before.output.on) valveWasOpen = true;
  }
  if (anyWanted) {
    if (valveWasOpen) return { valves: wants, boiler: true, pump: true, overrun: null, why: 'a zone valve is open' };
    // Heat passes from one zone to another in the same tick. Make before break: the valves that
    // were open stay open one more tick while the new one opens, so a firing boiler keeps an open
    // path and is not switched off for a single tick, which would be a short cycle.
    const handover = decisions.map((d) => d.want || (state.boiler.on && d.before.output.on && !d.highLimit));
    const held = handover.some((open, i) => open && decisions[i]?.before.output.on === true);
    return { valves: handover, boiler: held, pump: true, overrun: null, why: held ? 'handing over between zones' : 'a zone valve is opening' };
  }

  // The boiler's minimum on time: it keeps firing into the valves that were open, with the pump,
  // and the overrun starts when it stops. A zone over its high limit closes regardless; with no
  // other valve open the boiler stops early, since firing into closed valves is worse than wear.
  if (config.boiler_output !== undefined && state.boiler.on && now.mono - state.boiler.changed.mono < config.boiler_min_on_s * 1000) {
    const keep = decisions.map((d) => d.before.output.on && !d.highLimit);
    if (keep.some(Boolean)) return { valves: keep, boiler: true, pump: true, overrun: null, why: 'boiler minimum on time' };
  }

  let overrun = state.overrun;
  if (overrun === null && config.pump_overrun_s > 0 && decisions.some((d) => d.before.output.on)) {
    // A zone over its high limit closes now, overrun or not, since its room must not get any
    // warmer; if it was the only one open the pump runs on alone, which is what a bypass is for.
    const purge = decisions.filter((d) => d.before.output.on && !d.highLimit).map((d) => d.zone.name);
    overrun = { started: { wall: now.wall, mono: now.mono }, zones: purge };
  }
  // The pump's minimum on time stretches an overrun (its valves stay open); with none the pump runs on alone.
  const pumpHeld = config.pump_output !== undefined && state.pump.on && now.mono - state.pump.changed.mono < config.pump_min_on_s * 1000;
  if (overrun !== null && (now.mono - overrun.started.mono < config.pump_overrun_s * 1000 || pumpHeld)) {
    const purging = overrun.zones;
    const valves = decisions.map((d) => d.before.output.on && !d.highLimit && purging.includes(d.zone.name));
    return { valves, boiler: false, pump: true, overrun, why: 'no zone calls for heat; pump overrun' };
  }
  return { valves: wants, boiler: false, pump: false, overrun: null, why: state.overrun === null ? 'no zone calls for heat' : 'overrun over' };
}

interface FinishContext {
  readonly now: Instant;
  readonly events: EngineEvent[];
  readonly ledger: AlertLedger;
  readonly outdoorC: number | null;
  /** An overrun was running before this tick, so a valve closing without its own reason is ending it. */
  readonly overrunBefore: boolean;
}

/** Applies the output, logs the switch, and keeps the zone's alerts. */
function finishZone(d: ZoneDecision, on: boolean, ctx: FinishContext): ZoneRuntime {
  const { zone, before } = d;
  const { now } = ctx;
  const roomOut = reportableCelsius(d.room);
  const pipeOut = reportableCelsius(d.pipe);

  let output: OutputState = before.output;
  if (on !== before.output.on) {
    output = { on, changed: { wall: now.wall, mono: now.mono } };
    const endsOverrun = !on && ctx.overrunBefore && d.reason !== 'high_limit';
    ctx.events.push({
      ts: now.wall,
      source: endsOverrun ? 'control' : SOURCE_OF[d.reason],
      zone: zone.name,
      event: on ? 'ON' : 'OFF',
      room_c: roomOut,
      pipe_c: pipeOut,
      outdoor_c: ctx.outdoorC,
      duration_s: on ? null : Math.max(0, Math.round((now.mono - before.output.changed.mono) / 1000)),
      detail: endsOverrun ? 'pump overrun over' : describe(d, on),
    });
  }

  const runMs = on ? now.mono - output.changed.mono : 0;
  const rise = trackRise(d, on, before.rise, now);
  // Learned only from a heat zone's own room sensor; a blind zone's window stops (roomC is null).
  const heat = zone.kind === 'heat' ? learnHeat(before.heat, { roomC: d.roomC, outdoorC: ctx.outdoorC, heated: before.output.on }, now) : before.heat;
  const ids = zoneAlertIds(zone.name);
  const alerts = ctx.ledger;
  keepAlert(ctx, d, ids.freezeRisk, 'freeze_risk', d.freeze);
  keepAlert(ctx, d, ids.highLimit, 'high_limit', d.highLimit);
  keepAlert(ctx, d, ids.roomSensor, 'room_sensor', d.room !== null && !d.room.ok);
  keepAlert(ctx, d, ids.pipeSensor, 'pipe_sensor', d.pipe !== null && !d.pipe.ok);
  if (on && runMs >= zone.max_run_alert_s * 1000) {
    if (!alerts.has(ids.longRun)) {
      notify(ctx, d, alerts.raise(ids.longRun, 'long_run', zone.name, `${zone.label} has run ${Math.round(runMs / 60_000)} min without a break`));
    }
  } else {
    alerts.clear(ids.longRun);
  }
  // With the rise's sensor unreadable the question cannot be answered, so the alert stays as it is.
  const riseC = rise === null ? null : rise.source === 'pipe' ? d.pipeC : d.roomC;
  if (on && rise !== null && !rise.rose && now.mono - rise.at.mono >= NO_TEMP_RISE_AFTER_MS) {
    if (riseC !== null && !alerts.has(ids.noTempRise)) {
      const message = `${zone.label}: on for ${NO_TEMP_RISE_AFTER_MS / 60_000} min and its ${rise.source} has not warmed by ${NO_TEMP_RISE_MIN_C} °C`;
      notify(ctx, d, alerts.raise(ids.noTempRise, 'no_temp_rise', zone.name, message));
    }
  } else if (!on || rise === null || riseC !== null) {
    alerts.clear(ids.noTempRise);
  }

  return {
    name: zone.name,
    mode: before.mode,
    schedule: before.schedule,
    override: d.override,
    boost: d.boost,
    output,
    calling: d.calling,
    freeze_latched: d.freeze,
    lockout: d.lockout,
    condition: d.condition,
    rise,
    heat,
  };
}

/** The temperature a run is measured against: pipe if it reads, else room; dropped when the output is off. */
function trackRise(d: ZoneDecision, on: boolean, rise: RiseBaseline | null, now: Instant): RiseBaseline | null {
  if (!on) return null;
  if (rise === null) {
    if (d.pipeC !== null) return { source: 'pipe', celsius: d.pipeC, at: { wall: now.wall, mono: now.mono }, rose: false };
    if (d.roomC !== null) return { source: 'room', celsius: d.roomC, at: { wall: now.wall, mono: now.mono }, rose: false };
    return null;
  }
  const c = rise.source === 'pipe' ? d.pipeC : d.roomC;
  if (!rise.rose && c !== null && c - rise.celsius >= NO_TEMP_RISE_MIN_C) return { ...rise, rose: true };
  return rise;
}

/** Zone alerts whose cause is a plain condition of this tick. */
type ConditionAlert = 'freeze_risk' | 'high_limit' | 'room_sensor' | 'pipe_sensor';

/** Raises the alert while its condition holds and clears it when it stops; the message is built only on raising. */
function keepAlert(ctx: FinishContext, d: ZoneDecision, id: string, cause: ConditionAlert, active: boolean): void {
  if (!active) {
    ctx.ledger.clear(id);
    return;
  }
  if (ctx.ledger.has(id)) return;
  const { zone } = d;
  switch (cause) {
    case 'freeze_risk': {
      const message = `${zone.label}: freezing risk (room ${temp(d.roomC)}, pipe ${temp(d.pipeC)}); heating to protect the pipes`;
      notify(ctx, d, ctx.ledger.raise(id, 'freeze_risk', zone.name, message));
      return;
    }
    case 'high_limit': {
      const message = `${zone.label}: room ${temp(d.roomC)} is at or above its ${zone.high_limit_c} °C high limit; heat is off`;
      notify(ctx, d, ctx.ledger.raise(id, 'high_limit', zone.name, message));
      return;
    }
    case 'room_sensor': {
      const failsafe = zone.kind === 'heat' ? `; fail-safe ${zone.failsafe.action}` : '';
      notify(ctx, d, ctx.ledger.raise(id, 'sensor_fault', zone.name, `${zone.label}: room sensor ${faultText(d.room)}${failsafe}`));
      return;
    }
    case 'pipe_sensor':
      notify(ctx, d, ctx.ledger.raise(id, 'sensor_fault', zone.name, `${zone.label}: pipe sensor ${faultText(d.pipe)}`));
      return;
  }
}

/** Logs an ALERT event for an alert just raised. */
function notify(ctx: FinishContext, d: ZoneDecision | null, raised: Alert | null): void {
  if (raised === null) return;
  ctx.events.push({
    ts: ctx.now.wall,
    source: 'safety',
    zone: raised.zone,
    event: 'ALERT',
    room_c: d === null ? null : reportableCelsius(d.room),
    pipe_c: d === null ? null : reportableCelsius(d.pipe),
    outdoor_c: ctx.outdoorC,
    duration_s: null,
    detail: `${raised.id}: ${raised.message}`,
  });
}

function switchPlantOutput(before: OutputState, on: boolean, what: string, ctx: FinishContext, why: string): OutputState {
  if (before.on === on) return before;
  const { now } = ctx;
  ctx.events.push({
    ts: now.wall,
    source: 'control',
    zone: null,
    event: on ? 'ON' : 'OFF',
    room_c: null,
    pipe_c: null,
    outdoor_c: ctx.outdoorC,
    duration_s: on ? null : Math.max(0, Math.round((now.mono - before.changed.mono) / 1000)),
    detail: `${what} ${on ? 'on' : 'off'}: ${why}`,
  });
  return { on, changed: { wall: now.wall, mono: now.mono } };
}

function temp(c: number | null): string {
  return c === null ? 'unknown' : `${Math.round(c * 10) / 10} °C`;
}

function faultText(reading: SensorReading | null): string {
  if (reading === null || reading.ok) return 'ok';
  return `${reading.fault} (${reading.detail})`.slice(0, 150);
}

/** The fail-safe as it ran: the action, and for a duty cycle its share and the weather it planned for. */
function failsafeText(zone: ZoneConfig, plan: ZoneFailsafe | null): string {
  if (zone.failsafe.action !== 'duty' || plan === null) return zone.failsafe.action;
  const { outdoorC, measured } = plan.weather;
  const basis = measured ? `${temp(outdoorC)} outdoors` : `the ${temp(outdoorC)} design cold (no outdoor reading)`;
  return `duty ${Math.round(plan.duty * 100)} % for ${basis}`;
}

/** The detail line of an ON/OFF event, in the owner's words. */
function describe(d: ZoneDecision, on: boolean): string {
  const { zone } = d;
  switch (d.reason) {
    case 'high_limit':
      return `room ${temp(d.roomC)} at or above its ${zone.high_limit_c} °C high limit`;
    case 'freeze':
      return `freeze protection: room ${temp(d.roomC)}, pipe ${temp(d.pipeC)}`;
    case 'lockout':
      return 'maximum run lockout';
    case 'max_run':
      return `ran past the ${Math.round(zone.max_run_off_s / 60)} min maximum; locked out for ${zone.min_off_s} s`;
    case 'failsafe':
      return `room sensor fault: fail-safe ${failsafeText(zone, d.failsafe)}`;
    case 'thermostat':
      return on ? 'thermostat calls for heat' : 'thermostat satisfied';
    case 'mode_on':
      return 'mode ON';
    case 'mode_off':
      return 'mode OFF';
    case 'boost':
      return 'boost';
    case 'away':
    case 'override':
    case 'schedule':
    case 'default':
      if (d.setpoint === null) return `schedule: ${on ? 'on' : 'off'}`;
      return `${d.reason} setpoint ${temp(d.setpoint)}, room ${temp(d.roomC)}`;
  }
}
