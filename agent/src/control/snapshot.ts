import type { Override, SystemState, ZoneState } from '@boiler/shared';
import type { SensorReading } from '../hardware/types.js';
import type { ZoneConfig } from '../zones.js';
import type { EngineConfig, Instant } from './config.js';
import { autoSetpoint, boostEnd, liveBoost, liveOverride, overrideLeftMs, scheduleOf } from './modes.js';
import { reportableCelsius, sensorOf, type Readings } from './readings.js';
import { scheduleClock } from './schedule.js';
import { alignZones, type EngineState, type ZoneOverride } from './state.js';

/** The API's view of every zone, in config order: the engine state as of its last tick, with these readings. */
export function zoneStatesOf(config: EngineConfig, state: EngineState, readings: Readings, now: Instant): ZoneState[] {
  const clock = scheduleClock(now.wall, config.time_zone);
  const zones = alignZones(config, state, now);
  return config.zones.map((zone, i): ZoneState => {
    const runtime = zones[i];
    if (runtime === undefined) throw new Error(`zone ${zone.name} missing from aligned state`);
    const zoneReadings = readings.zones.get(zone.name);
    const room = sensorOf(zone.room_sensor, zoneReadings?.room);
    const pipe = sensorOf(zone.pipe_sensor, zoneReadings?.pipe);
    const schedule = scheduleOf(state, runtime);
    const override = liveOverride(runtime.override, schedule, clock, now);
    const boost = runtime.mode === 'AUTO' ? liveBoost(runtime.boost, now.mono) : null;
    const setpoint =
      zone.kind === 'heat' && runtime.mode === 'AUTO' ? autoSetpoint(zone, override, schedule, clock, state.away).setpoint_c : null;
    return {
      zone: zone.name,
      label: zone.label,
      kind: zone.kind,
      mode: runtime.mode,
      output: runtime.output.on,
      call_for_heat: zoneReadings?.call_for_heat === true,
      condition: runtime.condition,
      room_c: reportableCelsius(room),
      pipe_c: reportableCelsius(pipe),
      setpoint_c: setpoint,
      override: override === null ? null : publicOverride(override, now),
      // The wall instant the boost ends, as far as the monotonic timer that really ends it says.
      boost_until: boost === null ? null : Math.max(0, Math.round(now.wall + (boostEnd(boost) - now.mono))),
      fault: faultOf(zone, room, pipe),
      changed_at: runtime.output.changed.wall,
      updated_at: now.wall,
    };
  });
}

/** The API's view of the whole site. */
export function systemStateOf(
  config: EngineConfig,
  state: EngineState,
  readings: Readings,
  now: Instant,
  hardware: SystemState['hardware'],
): SystemState {
  return {
    away: state.away,
    away_until: state.away_until,
    outdoor_c: reportableCelsius(readings.outdoor),
    // The burner input says whether it really fires; without one, what the engine asked for.
    boiler_firing: readings.burner ?? state.boiler.on,
    hardware,
    time_zone: config.time_zone,
    alerts: state.alerts.slice(0, 200),
    updated_at: now.wall,
  };
}

/**
 * The override as the owner sees it: an `until` one ends when its time left says, shown on today's
 * wall clock. Within a second of the instant the owner named (no wall-clock step since) that
 * instant is shown as named, so the view does not flicker by a millisecond between ticks.
 */
function publicOverride(override: ZoneOverride, now: Instant): Override {
  let until = override.until;
  if (until !== null) {
    const ends = Math.max(0, Math.round(now.wall + overrideLeftMs({ ...override, until }, now)));
    if (Math.abs(ends - until) >= 1000) until = ends;
  }
  return { kind: override.kind, setpoint_c: override.setpoint_c, until, set_at: override.set_at };
}

function faultOf(zone: ZoneConfig, room: SensorReading | null, pipe: SensorReading | null): string | null {
  const parts: string[] = [];
  if (room !== null && !room.ok) parts.push(`room sensor ${room.fault}: ${room.detail}`);
  if (pipe !== null && !pipe.ok) parts.push(`pipe sensor ${pipe.fault}: ${pipe.detail}`);
  if (zone.kind === 'heat' && room === null) parts.push('no room sensor');
  return parts.length === 0 ? null : parts.join('; ').slice(0, 200);
}
