import { z } from 'zod';
import {
  Alert,
  EpochMs,
  Override,
  Preset,
  WeeklySchedule,
  ZoneCondition,
  ZoneMode,
  ZoneName,
  parseUnknown,
  type EventEntry,
} from '@boiler/shared';
import type { ZoneConfig } from '../zones.js';
import type { EngineConfig, Instant } from './config.js';

/** How many presets the owner may keep. */
export const MAX_PRESETS = 50;

/**
 * An instant on both clocks. Timers compare `mono`; `wall` is kept so that after a restart
 * (when the monotonic clock starts again near zero) the timer can be rebased, and for display.
 * `mono` may be negative after a rebase: it is only ever compared with other mono values.
 */
export const Stamp = z.strictObject({ wall: EpochMs, mono: z.number() });
export type Stamp = z.infer<typeof Stamp>;

/** An output's level and when it last changed: the basis of minimum on/off times and run lengths. */
export const OutputState = z.strictObject({ on: z.boolean(), changed: Stamp });
export type OutputState = z.infer<typeof OutputState>;

/** A setpoint override; `slot` names the schedule switch point a `next_change` override lasts through. */
export const ZoneOverride = Override.extend({ slot: z.number().int().nullable() });
export type ZoneOverride = z.infer<typeof ZoneOverride>;

/** A boost: on regardless of setpoint for `minutes` from `started` (timed on mono). */
export const Boost = z.strictObject({ started: Stamp, minutes: z.number().int().min(1).max(240) });
export type Boost = z.infer<typeof Boost>;

/** The temperature a run started from, to notice a run that heats nothing (no_temp_rise). */
export const RiseBaseline = z.strictObject({
  source: z.enum(['pipe', 'room']),
  celsius: z.number(),
  at: Stamp,
  /** Once the run has warmed by the threshold it has proven itself for the rest of the run. */
  rose: z.boolean(),
});
export type RiseBaseline = z.infer<typeof RiseBaseline>;

/** What the engine remembers about one zone between ticks. */
export const ZoneRuntime = z.strictObject({
  name: ZoneName,
  mode: ZoneMode,
  /** The zone's own week, or null to follow the default schedule. */
  schedule: WeeklySchedule.nullable(),
  override: ZoneOverride.nullable(),
  boost: Boost.nullable(),
  /** The zone output (valve or circulator) as last commanded. */
  output: OutputState,
  /** The hysteresis memory: whether the mode layer wanted heat at the last tick. */
  calling: z.boolean(),
  freeze_latched: z.boolean(),
  /** Turned off by the maximum run time; ends a minimum off time after the output went off. */
  lockout: z.boolean(),
  condition: ZoneCondition,
  rise: RiseBaseline.nullable(),
});
export type ZoneRuntime = z.infer<typeof ZoneRuntime>;

/** Pump overrun in progress: the boiler is off, the pump and these valves stay open to purge its heat. */
export const Overrun = z.strictObject({ started: Stamp, zones: z.array(ZoneName).max(64) });
export type Overrun = z.infer<typeof Overrun>;

/** Everything the engine carries between ticks; persisted as JSON and parsed back with this schema. */
export const EngineState = z.strictObject({
  version: z.literal(1),
  away: z.boolean(),
  away_until: EpochMs.nullable(),
  default_schedule: WeeklySchedule,
  presets: z.array(Preset).max(MAX_PRESETS),
  /** In the config's zone order. */
  zones: z.array(ZoneRuntime).max(64),
  boiler: OutputState,
  pump: OutputState,
  overrun: Overrun.nullable(),
  alerts: z.array(Alert),
  last_tick: Stamp.nullable(),
});
export type EngineState = z.infer<typeof EngineState>;

/** An event as the engine produces it; the store gives it its seq. */
export type EngineEvent = Omit<EventEntry, 'seq'>;

/** Parses persisted engine state (JSON already decoded); throws a ValidationError naming what is wrong. */
export function parseEngineState(value: unknown): EngineState {
  return parseUnknown(EngineState, value, 'engine state');
}

function stampOf(now: Instant): Stamp {
  return { wall: now.wall, mono: now.mono };
}

/** A zone as first seen: AUTO, output off. */
export function initialZone(zone: ZoneConfig, now: Instant): ZoneRuntime {
  return {
    name: zone.name,
    mode: 'AUTO',
    schedule: zone.schedule ?? null,
    override: null,
    boost: null,
    // "Off since now": the relays were released while nothing ran them, for an unknown time,
    // so the minimum off time is counted from start; a watchdog restart loop cannot short-cycle.
    output: { on: false, changed: stampOf(now) },
    calling: false,
    freeze_latched: false,
    lockout: false,
    condition: 'normal',
    rise: null,
  };
}

/** The state of a fresh install: every zone AUTO and off, home, the config's schedules. */
export function initialState(config: EngineConfig, now: Instant): EngineState {
  return {
    version: 1,
    away: false,
    away_until: null,
    default_schedule: config.default_schedule,
    presets: [],
    zones: config.zones.map((zone) => initialZone(zone, now)),
    boiler: { on: false, changed: stampOf(now) },
    pump: { on: false, changed: stampOf(now) },
    overrun: null,
    alerts: [],
    last_tick: null,
  };
}

/**
 * Moves a stamp from a previous process's monotonic clock onto this one. The time since it is
 * taken from the wall clock, the only clock that survived the restart; if the wall clock went
 * backwards the elapsed time counts as zero, so a timer can restart in full but never run short.
 */
export function rebaseStamp(stamp: Stamp, now: Instant): Stamp {
  const elapsed = Math.max(0, now.wall - stamp.wall);
  return { wall: stamp.wall, mono: now.mono - elapsed };
}

/** What resuming persisted state gives: the state to tick on and the events the restart implies. */
export interface ResumeResult {
  state: EngineState;
  events: EngineEvent[];
}

/**
 * Makes persisted state usable after a restart: every mono timer rebased (never shortened), and
 * zones matched to the config by name (new zones start fresh, removed ones and their alerts go).
 *
 * Outputs that were on are taken as off since the last persisted tick, because the relays were
 * released when the old process stopped; counting the minimum off time from then is what keeps a
 * crash-and-restart from short-cycling a valve or the boiler. An OFF event records it.
 */
export function resumeState(config: EngineConfig, persisted: EngineState, now: Instant): ResumeResult {
  const events: EngineEvent[] = [];
  // Outputs only switch inside a tick, so an output that is on implies a last tick.
  const stoppedAt = persisted.last_tick === null ? stampOf(now) : rebaseStamp(persisted.last_tick, now);
  const byName = new Map(persisted.zones.map((zone) => [zone.name, zone]));

  const restoreOutput = (output: OutputState, zone: string | null, detail: string): OutputState => {
    if (!output.on) return { on: false, changed: rebaseStamp(output.changed, now) };
    const ranMs = persisted.last_tick === null ? 0 : Math.max(0, persisted.last_tick.mono - output.changed.mono);
    events.push({
      ts: now.wall,
      source: 'system',
      zone,
      event: 'OFF',
      room_c: null,
      pipe_c: null,
      outdoor_c: null,
      duration_s: Math.round(ranMs / 1000),
      detail: `${detail} was released when the agent stopped`,
    });
    return { on: false, changed: stoppedAt };
  };

  const zones = config.zones.map((zoneConfig): ZoneRuntime => {
    const saved = byName.get(zoneConfig.name);
    if (saved === undefined) return initialZone(zoneConfig, now);
    return {
      ...saved,
      boost: saved.boost === null ? null : { started: rebaseStamp(saved.boost.started, now), minutes: saved.boost.minutes },
      output: restoreOutput(saved.output, saved.name, zoneConfig.output),
      // The run ended with the restart, so its baseline is meaningless.
      rise: null,
    };
  });
  const known = new Set(config.zones.map((zone) => zone.name));
  return {
    state: {
      ...persisted,
      zones,
      boiler: restoreOutput(persisted.boiler, null, 'boiler'),
      pump: restoreOutput(persisted.pump, null, 'pump'),
      overrun: null,
      alerts: persisted.alerts.filter((alert) => alert.zone === null || known.has(alert.zone)),
      last_tick: stampOf(now),
    },
    events,
  };
}

/** The zones' runtime in config order; a state from another config (a zone added or removed) is matched by name. */
export function alignZones(config: EngineConfig, state: EngineState, now: Instant): readonly ZoneRuntime[] {
  const zones = state.zones;
  let aligned = zones.length === config.zones.length;
  for (let i = 0; aligned && i < zones.length; i++) aligned = zones[i]?.name === config.zones[i]?.name;
  if (aligned) return zones;
  const byName = new Map(zones.map((zone) => [zone.name, zone]));
  return config.zones.map((zone) => byName.get(zone.name) ?? initialZone(zone, now));
}
