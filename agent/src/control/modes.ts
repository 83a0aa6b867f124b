import type { WeeklySchedule } from '@boiler/shared';
import type { ZoneConfig } from '../zones.js';
import type { Instant } from './config.js';
import { activeSwitch, type ScheduleClock } from './schedule.js';
import type { Boost, EngineState, ZoneOverride, ZoneRuntime } from './state.js';

/** Where an AUTO heat zone's setpoint came from. */
export type SetpointSource = 'away' | 'override' | 'schedule' | 'default';

/** The week a zone follows: its own, else the default one. */
export function scheduleOf(state: Pick<EngineState, 'default_schedule'>, zone: Pick<ZoneRuntime, 'schedule'>): WeeklySchedule {
  return zone.schedule ?? state.default_schedule;
}

/** The mono instant a boost ends. */
export function boostEnd(boost: Boost): number {
  return boost.started.mono + boost.minutes * 60_000;
}

/** The boost still running at this mono instant, or null. */
export function liveBoost(boost: Boost | null, mono: number): Boost | null {
  return boost !== null && mono < boostEnd(boost) ? boost : null;
}

/**
 * How long an `until` override has left at `now`, in ms (negative once over). Counted on the mono
 * clock from when it was set, as boosts are: a wall-clock step (an NTP fix after a boot without a
 * clock) neither ends it early nor holds it late. One saved without its mono instant counts to
 * its wall instant.
 */
export function overrideLeftMs(override: ZoneOverride & { until: number }, now: Instant): number {
  if (override.set_mono === null) return override.until - now.wall;
  return override.until - override.set_at - (now.mono - override.set_mono);
}

/**
 * The override still in force, or null once it has run out: an `until` override when its time is
 * up (see overrideLeftMs), a `next_change` one when the schedule's switch point in force is no
 * longer the one it was set under.
 */
export function liveOverride(
  override: ZoneOverride | null,
  schedule: WeeklySchedule,
  clock: ScheduleClock,
  now: Instant,
): ZoneOverride | null {
  if (override === null) return null;
  switch (override.kind) {
    case 'permanent':
      return override;
    case 'until':
      return override.until !== null && overrideLeftMs({ ...override, until: override.until }, now) <= 0 ? null : override;
    case 'next_change':
      return (activeSwitch(schedule, 'heat', clock)?.since ?? null) === override.slot ? override : null;
  }
}

/** The setpoint an AUTO heat zone regulates to: away, else its live override, else its schedule, else its default. */
export function autoSetpoint(
  zone: ZoneConfig,
  override: ZoneOverride | null,
  schedule: WeeklySchedule,
  clock: ScheduleClock,
  away: boolean,
): { setpoint_c: number; source: SetpointSource } {
  // Away wins over overrides too: leaving the house must bring every zone down, and an override
  // set before leaving comes back on return if it has not run out.
  if (away) return { setpoint_c: zone.away_setpoint_c, source: 'away' };
  if (override !== null) return { setpoint_c: override.setpoint_c, source: 'override' };
  const active = activeSwitch(schedule, 'heat', clock);
  if (active !== null) return { setpoint_c: active.setpoint_c, source: 'schedule' };
  return { setpoint_c: zone.default_setpoint_c, source: 'default' };
}
