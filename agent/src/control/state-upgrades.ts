import { z } from 'zod';
import { Preset, WeeklySchedule, ZoneName, ValidationError } from '@boiler/shared';
import type { EngineConfig, Instant } from './config.js';
import {
  ENGINE_STATE_VERSION,
  MAX_PRESETS,
  initialState,
  noSettings,
  parseSavedEngineState,
  savedStateOf,
  withSettings,
  type EngineState,
  type SavedEngineState,
  type StoredSettings,
} from './state.js';

// The saved engine state is upgraded like the tables: one numbered step per version, each a pure
// function of the layout before it, each with its own test. A step may read only what its own
// version wrote, so it works on plain JSON, never on today's types; only the last result is
// parsed by today's schema.

/** A saved state the agent cannot take up: not an object, a version it does not know, or a failed step. */
export class StateUpgradeError extends Error {
  override readonly name = 'StateUpgradeError';
}

type Json = Record<string, unknown>;

/** One step: the layout of version `from` in, the layout of `from + 1` out. */
export interface StateUpgrade {
  readonly from: number;
  readonly name: string;
  up(state: Json): Json;
}

const ZERO_STAMP = { wall: 0, mono: 0 };

/** A zone as version 1 lays it out, from whatever version 0 had; what it lacks starts as on a fresh install. */
function zoneV1(zone: unknown): Json {
  const z0 = isObject(zone) ? zone : {};
  return {
    name: z0.name,
    mode: z0.mode ?? 'AUTO',
    schedule: z0.schedule ?? null,
    override: z0.override ?? null,
    boost: z0.boost ?? null,
    // A missing output is taken as off; resuming a state with no sign of life counts every
    // off output as off since the restart, so this stamp never shortens a minimum off time.
    output: z0.output ?? { on: false, changed: ZERO_STAMP },
    calling: z0.calling ?? false,
    freeze_latched: z0.freeze_latched ?? false,
    lockout: z0.lockout ?? false,
    condition: z0.condition ?? 'normal',
    rise: z0.rise ?? null,
  };
}

/**
 * The steps, in order; `STATE_UPGRADES[n].from === n`.
 *
 * Version 0 is a state with no `version` at all: the layout of the agent before its state was
 * versioned, or one written by hand. It is read for the owner's settings (modes, schedules,
 * overrides, boosts, presets, away) and the outputs; safety memory it lacks (latches, lockouts,
 * the overrun, alerts) starts as on a fresh install, which the first tick rebuilds from readings.
 */
export const STATE_UPGRADES: readonly StateUpgrade[] = [
  {
    from: 0,
    name: 'version field; safety memory defaults',
    up: (s) => ({
      version: 1,
      away: s.away ?? false,
      away_until: s.away_until ?? null,
      default_schedule: s.default_schedule,
      presets: s.presets ?? [],
      zones: Array.isArray(s.zones) ? s.zones.map(zoneV1) : [],
      boiler: s.boiler ?? { on: false, changed: ZERO_STAMP },
      pump: s.pump ?? { on: false, changed: ZERO_STAMP },
      overrun: s.overrun ?? null,
      alerts: s.alerts ?? [],
      last_tick: s.last_tick ?? null,
    }),
  },
  {
    from: 1,
    // Version 2 records when it was saved on the machine's monotonic clock with the boot id. A
    // version-1 state has no such mark, so its downtime counts as unknown when it is resumed.
    name: 'alive mark',
    up: (s) => ({ ...s, version: 2, alive: null }),
  },
  {
    from: 2,
    // Version 3 keeps what the engine learned of each zone's heat for the weather-following
    // fail-safe. A version-2 state has learned nothing: the fail-safe assumes the design sizing
    // until a window qualifies.
    name: 'zone heat learning',
    up: (s) => ({ ...s, version: 3, zones: Array.isArray(s.zones) ? s.zones.map((z: unknown) => (isObject(z) ? { ...z, heat: { span_c: null, window: null } } : z)) : s.zones }),
  },
  {
    from: 3,
    // Version 4 times an `until` override on the mono clock from when it was set. An override
    // saved before has no mono instant, so it keeps ending at its wall instant.
    name: 'override set on the mono clock',
    up: (s) => ({
      ...s,
      version: 4,
      zones: Array.isArray(s.zones) ? s.zones.map((z: unknown) => (isObject(z) && isObject(z.override) ? { ...z, override: { ...z.override, set_mono: null } } : z)) : s.zones,
    }),
  },
  {
    from: 4,
    // Version 5 leaves the owner's schedules and presets to their tables: the store's migration 5
    // copied them there (salvageSettings) when it brought the database to the schema that has a
    // version-5 state, so a version-4 state only drops them.
    name: 'schedules and presets in their tables',
    up: (s) => {
      const { default_schedule: _default, presets: _presets, ...rest } = s;
      return {
        ...rest,
        version: 5,
        zones: Array.isArray(s.zones) ? s.zones.map((z: unknown) => (isObject(z) ? withoutKey(z, 'schedule') : z)) : s.zones,
      };
    },
  },
];

function withoutKey(value: Json, key: string): Json {
  const { [key]: _dropped, ...rest } = value;
  return rest;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The version a saved state says it has: none means 0. */
export function savedVersion(value: unknown): number {
  if (!isObject(value)) throw new StateUpgradeError(`saved state is ${Array.isArray(value) ? 'an array' : typeof value}, not an object`);
  if (!('version' in value)) return 0;
  const v = value.version;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new StateUpgradeError(`saved state has version ${JSON.stringify(v)}`);
  return v;
}

/** What upgrading gave: the state in today's saved layout and the version it was saved as. */
export interface UpgradedState {
  state: SavedEngineState;
  from: number;
}

/**
 * Brings a saved state (JSON already decoded) to today's layout, step by step, and parses it.
 * Throws StateUpgradeError for a version newer than this agent and ValidationError when the
 * result does not parse; never anything else for any input.
 */
export function upgradeEngineState(value: unknown, upgrades: readonly StateUpgrade[] = STATE_UPGRADES, target = ENGINE_STATE_VERSION): UpgradedState {
  const from = savedVersion(value);
  if (from > target) throw new StateUpgradeError(`saved state is version ${from}, newer than this agent's ${target}`);
  let state = value as Json;
  for (let v = from; v < target; v++) {
    const step = upgrades[v];
    if (step === undefined || step.from !== v) throw new StateUpgradeError(`no upgrade from state version ${v}`);
    try {
      state = step.up(state);
    } catch (err) {
      throw new StateUpgradeError(`state upgrade ${v} -> ${v + 1} (${step.name}) failed: ${String(err)}`, { cause: err });
    }
    if (!isObject(state) || state.version !== v + 1) throw new StateUpgradeError(`state upgrade ${v} -> ${v + 1} (${step.name}) gave no version ${v + 1}`);
  }
  return { state: parseSavedEngineState(state), from };
}

/** The owner's settings found in a state saved before version 5 (see StoredSettings). */
export type SalvagedSettings = StoredSettings;

const SalvageShape = z.looseObject({ default_schedule: z.unknown(), zones: z.unknown(), presets: z.unknown() });
// A zone saved without a schedule (version 0) followed the default, as one saved with null.
const SavedZoneSchedule = z.looseObject({ name: ZoneName, schedule: WeeklySchedule.nullish() });

/**
 * Schedules and presets from a state saved before version 5, each parsed on its own, so one bad
 * field costs only itself (the state may be otherwise unreadable). Never throws.
 */
export function salvageSettings(value: unknown): SalvagedSettings {
  const found = noSettings();
  const shape = SalvageShape.safeParse(value);
  if (!shape.success) return found;
  const defaults = WeeklySchedule.safeParse(shape.data.default_schedule);
  if (defaults.success) found.default_schedule = defaults.data;
  if (Array.isArray(shape.data.zones)) {
    for (const zone of shape.data.zones.slice(0, 64)) {
      const parsed = SavedZoneSchedule.safeParse(zone);
      if (parsed.success && !found.zone_schedules.has(parsed.data.name)) found.zone_schedules.set(parsed.data.name, parsed.data.schedule ?? null);
    }
  }
  if (Array.isArray(shape.data.presets)) {
    const names = new Set<string>();
    for (const preset of shape.data.presets) {
      if (found.presets.length >= MAX_PRESETS) break;
      const parsed = Preset.safeParse(preset);
      if (parsed.success && !names.has(parsed.data.name)) {
        names.add(parsed.data.name);
        found.presets.push(parsed.data);
      }
    }
  }
  return found;
}

/** Why a saved state was not taken up, in one line for the log and the alert. */
export function describeUnreadable(err: unknown): string {
  if (err instanceof StateUpgradeError) return err.message;
  if (err instanceof ValidationError) return `does not parse (${err.message.slice(0, 120)})`;
  return err instanceof Error ? err.message.slice(0, 160) : String(err).slice(0, 160);
}

/** A fresh state (every zone AUTO, outputs off since now) that keeps the stored schedules and presets. */
export function freshStateKeeping(config: EngineConfig, settings: StoredSettings, now: Instant): EngineState {
  return withSettings(config, savedStateOf(initialState(config, now)), settings);
}
