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

/**
 * A moment a process was known alive, on its own clocks and on the machine's: the kernel's boot
 * id and its monotonic clock (CLOCK_MONOTONIC, shared by every process of one boot). Written with
 * every saved state and, every second or so, as a sign of life; at the next start it says when
 * the old process stopped, measured on a clock no wall-clock step can move.
 */
export const AliveMark = z.strictObject({
  /** Which process: a random id per start, so a sign of life is matched to the state it goes with. */
  run: z.string().min(1).max(64),
  boot_id: z.string().min(1).max(64).nullable(),
  /** ms on the machine's monotonic clock. */
  boot_mono: z.number(),
  /** The same moment on the engine's clocks. */
  mono: z.number(),
  wall: EpochMs,
  /** When (mono) an output last switched, as the process knew it: a saved state older than that is stale. */
  last_switch: z.number(),
});
export type AliveMark = z.infer<typeof AliveMark>;

/** An output's level and when it last changed: the basis of minimum on/off times and run lengths. */
export const OutputState = z.strictObject({ on: z.boolean(), changed: Stamp });
export type OutputState = z.infer<typeof OutputState>;

/**
 * A setpoint override; `slot` names the schedule switch point a `next_change` override lasts through.
 * `set_mono` is when it was set on the mono clock: an `until` override lasts `until - set_at` from
 * there, so a wall-clock step neither ends it early nor holds it late (null: from a state saved
 * before it was kept, which ends at the wall instant).
 */
export const ZoneOverride = Override.extend({ slot: z.number().int().nullable(), set_mono: z.number().nullable() });
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

/**
 * What the engine has learned of a zone's heat balance for the sensor-fault fail-safe (see
 * heat-learning.ts): the span, K above outdoors per unit of duty, and the window being measured.
 */
export const HeatLearning = z.strictObject({
  span_c: z.number().positive().max(1000).nullable(),
  window: z
    .strictObject({
      started_mono: z.number(),
      last_mono: z.number(),
      on_ms: z.number().min(0),
      /** The room-over-outdoor difference integrated over the window, K·ms. */
      difference_ms: z.number(),
      room_start_c: z.number(),
    })
    .nullable(),
});
export type HeatLearning = z.infer<typeof HeatLearning>;

/** What the engine remembers about one zone between ticks, as saved (its schedule lives in the schedules table). */
export const SavedZoneRuntime = z.strictObject({
  name: ZoneName,
  mode: ZoneMode,
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
  heat: HeatLearning,
});
export type SavedZoneRuntime = z.infer<typeof SavedZoneRuntime>;

/** What the engine remembers about one zone between ticks, with its schedule (kept in step with the table). */
export const ZoneRuntime = SavedZoneRuntime.extend({
  /** The zone's own week, or null to follow the default schedule. */
  schedule: WeeklySchedule.nullable(),
});
export type ZoneRuntime = z.infer<typeof ZoneRuntime>;

/** Pump overrun in progress: the boiler is off, the pump and these valves stay open to purge its heat. */
export const Overrun = z.strictObject({ started: Stamp, zones: z.array(ZoneName).max(64) });
export type Overrun = z.infer<typeof Overrun>;

/** The layout version of the saved engine state; older ones are brought up by the numbered upgrades in state-upgrades.ts. */
export const ENGINE_STATE_VERSION = 5;

/**
 * What the engine carries between ticks, as saved in the runtime row and parsed back with this
 * schema. The owner's schedules and presets are not in it: their home is the schedules and presets
 * tables (see StoredSettings), written by the commands that change them.
 */
export const SavedEngineState = z.strictObject({
  version: z.literal(ENGINE_STATE_VERSION),
  away: z.boolean(),
  away_until: EpochMs.nullable(),
  /** In the config's zone order. */
  zones: z.array(SavedZoneRuntime).max(64),
  boiler: OutputState,
  pump: OutputState,
  overrun: Overrun.nullable(),
  alerts: z.array(Alert),
  last_tick: Stamp.nullable(),
  /** Set by the agent when it saves the state (the engine never reads it): when that was, on every clock. */
  alive: AliveMark.nullable(),
});
export type SavedEngineState = z.infer<typeof SavedEngineState>;

/**
 * Everything the engine carries between ticks: the saved state joined with the schedules and
 * presets, which the engine (pure) reads from memory; the agent loads them from their tables at
 * start and writes each change to both in one transaction.
 */
export const EngineState = SavedEngineState.extend({
  default_schedule: WeeklySchedule,
  presets: z.array(Preset).max(MAX_PRESETS),
  zones: z.array(ZoneRuntime).max(64),
});
export type EngineState = z.infer<typeof EngineState>;

/**
 * The owner's schedules and presets as their tables hold them. A zone's entry is its own week or
 * null (it follows the default); a zone with no entry, or no default, takes the config's.
 */
export interface StoredSettings {
  default_schedule: WeeklySchedule | null;
  zone_schedules: Map<string, WeeklySchedule | null>;
  /** In the order they were saved. */
  presets: Preset[];
}

/** No stored schedules or presets: every zone takes the config's. */
export function noSettings(): StoredSettings {
  return { default_schedule: null, zone_schedules: new Map(), presets: [] };
}

/** The state as saved: without the schedules and presets, which live in their tables. */
export function savedStateOf(state: EngineState): SavedEngineState {
  const { default_schedule: _default, presets: _presets, zones, ...rest } = state;
  return { ...rest, zones: zones.map(({ schedule: _schedule, ...zone }) => zone) };
}

/** The schedules and presets the state holds, as their tables store them (every configured zone has an entry). */
export function settingsOf(state: EngineState): StoredSettings {
  return {
    default_schedule: state.default_schedule,
    zone_schedules: new Map(state.zones.map((zone) => [zone.name, zone.schedule])),
    presets: state.presets,
  };
}

/**
 * A saved state joined with the stored schedules and presets; what the tables lack (a zone never
 * seen, a fresh install) comes from the config, as for a fresh zone.
 */
export function withSettings(config: EngineConfig, saved: SavedEngineState, settings: StoredSettings): EngineState {
  const configured = new Map(config.zones.map((zone) => [zone.name, zone.schedule ?? null]));
  return {
    ...saved,
    default_schedule: settings.default_schedule ?? config.default_schedule,
    presets: settings.presets,
    zones: saved.zones.map((zone) => ({
      ...zone,
      schedule: settings.zone_schedules.has(zone.name) ? (settings.zone_schedules.get(zone.name) ?? null) : (configured.get(zone.name) ?? null),
    })),
  };
}

/** An event as the engine produces it; the store gives it its seq. */
export type EngineEvent = Omit<EventEntry, 'seq'>;

/** Parses an engine state with its settings (JSON already decoded); throws a ValidationError naming what is wrong. */
export function parseEngineState(value: unknown): EngineState {
  return parseUnknown(EngineState, value, 'engine state');
}

/** Parses a saved engine state (JSON already decoded); throws a ValidationError naming what is wrong. */
export function parseSavedEngineState(value: unknown): SavedEngineState {
  return parseUnknown(SavedEngineState, value, 'engine state');
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
    heat: { span_c: null, window: null },
  };
}

/** The state of a fresh install: every zone AUTO and off, home, the config's schedules. */
export function initialState(config: EngineConfig, now: Instant): EngineState {
  return {
    version: ENGINE_STATE_VERSION,
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
    alive: null,
  };
}

/**
 * What is known of the stop between the old process and this one. `lastAliveMono` is the last
 * moment the old process was known alive, on its own mono clock; `downtimeMs` is the time since,
 * measured on the machine's monotonic clock within one boot, or null when it cannot be known (a
 * reboot, a state saved before marks existed, a state another process ran on after saving).
 */
export interface StopGap {
  lastAliveMono: number | null;
  downtimeMs: number | null;
}

/**
 * Moves a stamp from the old process's monotonic clock onto this one: the time since it is the
 * old process's own count up to its last sign of life plus the downtime. The wall clock plays no
 * part, so a wall-clock step while the agent was down cannot shorten a timer. An unknown downtime
 * counts as zero: a timer then resumes where it stood at the last sign of life, never shorter.
 */
export function rebaseStamp(stamp: Stamp, now: Instant, gap: StopGap): Stamp {
  const before = gap.lastAliveMono === null ? 0 : Math.max(0, gap.lastAliveMono - stamp.mono);
  return { wall: stamp.wall, mono: now.mono - before - (gap.downtimeMs ?? 0) };
}

/** When (mono) any output in the state last switched. */
export function newestSwitch(state: Pick<EngineState, 'zones' | 'boiler' | 'pump'>): number {
  let newest = Math.max(state.boiler.changed.mono, state.pump.changed.mono);
  for (const zone of state.zones) newest = Math.max(newest, zone.output.changed.mono);
  return newest;
}

/**
 * Where the old process was last known alive, from the state's own mark and the newest sign of
 * life. A sign of life from the same run extends the state, unless it knows of a switch the saved
 * state does not (the saves failed, a full disk): then, as when another process ran after the
 * state was saved, what the outputs did is unknown and the downtime is not trusted.
 */
export function stopGapOf(persisted: EngineState, mark: AliveMark | null, boot: { id: string | null; mono: number }): StopGap {
  const saved = persisted.alive;
  if (saved === null) return { lastAliveMono: persisted.last_tick?.mono ?? null, downtimeMs: null };
  let last = saved;
  if (mark !== null && mark.run === saved.run) {
    if (mark.mono > saved.mono) last = mark;
    if (mark.last_switch > newestSwitch(persisted)) return { lastAliveMono: last.mono, downtimeMs: null };
  } else if (mark !== null) {
    const olderInSameBoot = mark.boot_id !== null && mark.boot_id === saved.boot_id && mark.boot_mono <= saved.boot_mono;
    if (!olderInSameBoot) return { lastAliveMono: saved.mono, downtimeMs: null };
  }
  // Another boot id (or none): the machine rebooted, and how long it was down is unknown.
  const sameBoot = last.boot_id !== null && last.boot_id === boot.id;
  return { lastAliveMono: last.mono, downtimeMs: sameBoot ? Math.max(0, boot.mono - last.boot_mono) : null };
}

/** What resuming persisted state gives: the state to tick on and the events the restart implies. */
export interface ResumeResult {
  state: EngineState;
  events: EngineEvent[];
}

/**
 * Makes persisted state usable after a restart: zones matched to the config by name (new zones
 * start fresh, removed ones and their alerts go), and every timer moved onto this process's clock.
 *
 * An output that was on when the old process stopped was released by the hardware at a moment
 * nobody recorded, so it counts as switched off at start: its minimum off time runs from now (the
 * rule ESPHome's thermostat follows after boot), and its run is recorded as ending at the old
 * process's last sign of life, with an OFF event. An output that was off keeps the off time it has
 * had, counted on the machine's monotonic clock; when the downtime is unknown (a reboot) it too
 * counts as off since now, because GPIO lines may glitch while a board boots, and waiting one
 * minimum off time costs a little heat while a short cycle costs a boiler or valve wear.
 * Boosts keep their remaining time as of the last sign of life plus the measured downtime; with
 * the downtime unknown they keep all of it, which errs towards a warm house.
 */
export function resumeState(config: EngineConfig, persisted: EngineState, now: Instant, gap: StopGap): ResumeResult {
  const events: EngineEvent[] = [];
  const byName = new Map(persisted.zones.map((zone) => [zone.name, zone]));

  const restoreOutput = (output: OutputState, zone: string | null, detail: string): OutputState => {
    if (!output.on) {
      if (gap.downtimeMs === null) return { on: false, changed: stampOf(now) };
      return { on: false, changed: rebaseStamp(output.changed, now, gap) };
    }
    const ranMs = gap.lastAliveMono === null ? 0 : Math.max(0, gap.lastAliveMono - output.changed.mono);
    events.push({
      ts: now.wall,
      source: 'system',
      zone,
      event: 'OFF',
      room_c: null,
      pipe_c: null,
      outdoor_c: null,
      duration_s: Math.round(ranMs / 1000),
      detail: `${detail} was released when the agent stopped; off since the restart`,
    });
    return { on: false, changed: stampOf(now) };
  };

  const zones = config.zones.map((zoneConfig): ZoneRuntime => {
    const saved = byName.get(zoneConfig.name);
    if (saved === undefined) return initialZone(zoneConfig, now);
    return {
      ...saved,
      boost: saved.boost === null ? null : { started: rebaseStamp(saved.boost.started, now, gap), minutes: saved.boost.minutes },
      override:
        saved.override === null || saved.override.set_mono === null
          ? saved.override
          : { ...saved.override, set_mono: rebaseStamp({ wall: saved.override.set_at, mono: saved.override.set_mono }, now, gap).mono },
      output: restoreOutput(saved.output, saved.name, zoneConfig.output),
      // The run ended with the restart, so its baseline is meaningless.
      rise: null,
      // The learned span stays; the window's times are on the old process's clock, so it starts again.
      heat: { span_c: saved.heat.span_c, window: null },
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
