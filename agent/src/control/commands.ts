import type { CommandBody, WeeklySchedule } from '@boiler/shared';
import type { ZoneConfig } from '../zones.js';
import type { EngineConfig, Instant } from './config.js';
import { scheduleOf } from './modes.js';
import { activeSwitch, scheduleClock, scheduleFitsKind } from './schedule.js';
import { MAX_PRESETS, alignZones, type EngineEvent, type EngineState, type ZoneOverride, type ZoneRuntime } from './state.js';

/** Why the engine would not do what a command asked. */
export type RefusalCode =
  | 'unknown_zone'
  | 'not_heat_zone'
  | 'mode_not_auto'
  | 'no_thermostat'
  | 'until_required'
  | 'until_not_allowed'
  | 'until_in_past'
  | 'schedule_kind_mismatch'
  | 'unknown_preset'
  | 'too_many_presets'
  | 'unknown_alert';

/** A refusal in the shape of the protocol's CommandError. */
export interface CommandRefusal {
  code: RefusalCode;
  message: string;
}

/** A command either changes the state (and says how, as a COMMAND event) or is refused with a reason. */
export type CommandApplication = { ok: true; state: EngineState; event: EngineEvent } | { ok: false; error: CommandRefusal };

/**
 * Applies an owner's command (already parsed by the CommandBody schema) to the engine state.
 * Pure, like tick. Commands only change settings: outputs move on the next tick, beneath the
 * safety layer, so no command can switch on a zone over its high limit or off one that freezes.
 */
export function applyCommand(config: EngineConfig, state: EngineState, body: CommandBody, now: Instant): CommandApplication {
  const zones = alignZones(config, state, now);
  const aligned = zones === state.zones ? state : { ...state, zones: [...zones] };
  switch (body.type) {
    case 'zone_mode':
      return withZone(config, aligned, body.zone, now, (zone, runtime) => {
        if (body.mode === 'THERMOSTAT' && zone.thermostat_input === undefined) {
          return refuse('no_thermostat', `zone ${zone.name} has no wall thermostat input`);
        }
        // A boost belongs to AUTO; leaving AUTO ends it, so it cannot come back later by surprise.
        return changed({ ...runtime, mode: body.mode, boost: body.mode === 'AUTO' ? runtime.boost : null }, `${zone.name} mode ${body.mode}`);
      });

    case 'setpoint':
      return withZone(config, aligned, body.zone, now, (zone, runtime) => {
        if (zone.kind !== 'heat') return refuse('not_heat_zone', `zone ${zone.name} is an on/off zone and has no setpoint`);
        if (runtime.mode !== 'AUTO') return refuse('mode_not_auto', `zone ${zone.name} is in ${runtime.mode} mode; setpoints apply in AUTO`);
        if (body.override === 'until') {
          if (body.until === undefined) return refuse('until_required', 'an "until" override needs an until time');
          if (body.until <= now.wall) return refuse('until_in_past', `until ${iso(body.until)} is not in the future`);
        } else if (body.until !== undefined) {
          return refuse('until_not_allowed', `a "${body.override}" override takes no until time`);
        }
        const slot =
          body.override === 'next_change'
            ? (activeSwitch(scheduleOf(aligned, runtime), 'heat', scheduleClock(now.wall, config.time_zone))?.since ?? null)
            : null;
        const override: ZoneOverride = {
          kind: body.override,
          setpoint_c: body.setpoint_c,
          until: body.override === 'until' ? (body.until ?? null) : null,
          set_at: now.wall,
          slot,
          set_mono: now.mono,
        };
        const lasting =
          body.override === 'permanent'
            ? 'permanently'
            : body.override === 'until'
              ? `until ${iso(body.until ?? now.wall)}`
              : slot === null
                ? 'until cleared (the schedule has no switch points)'
                : 'until the next schedule change';
        const awayNote = aligned.away ? '; the house is away, so it applies on return' : '';
        return changed({ ...runtime, override }, `${zone.name} setpoint ${body.setpoint_c} °C ${lasting}${awayNote}`);
      });

    case 'boost':
      return withZone(config, aligned, body.zone, now, (zone, runtime) => {
        if (runtime.mode !== 'AUTO') return refuse('mode_not_auto', `zone ${zone.name} is in ${runtime.mode} mode; boost runs in AUTO`);
        return changed(
          { ...runtime, boost: { started: { wall: now.wall, mono: now.mono }, minutes: body.minutes } },
          `${zone.name} boost for ${body.minutes} min`,
        );
      });

    case 'clear_override':
      return withZone(config, aligned, body.zone, now, (zone, runtime) => {
        const what = runtime.override === null && runtime.boost === null ? 'nothing to clear' : 'override and boost cleared';
        return changed({ ...runtime, override: null, boost: null }, `${zone.name}: ${what}`);
      });

    case 'away':
      if (body.until !== undefined && body.until <= now.wall) {
        return refuse('until_in_past', `until ${iso(body.until)} is not in the future`);
      }
      return applied(
        { ...aligned, away: true, away_until: body.until ?? null },
        null,
        body.until === undefined ? 'away' : `away until ${iso(body.until)}`,
        now,
      );

    case 'home':
      return applied({ ...aligned, away: false, away_until: null }, null, 'home', now);

    case 'schedule_set': {
      if (body.zone === 'default') {
        // The default week serves heat and on/off zones alike; each reads only its own entries.
        return applied({ ...aligned, default_schedule: body.schedule }, null, 'default schedule set', now);
      }
      const schedule = body.schedule;
      return withZone(config, aligned, body.zone, now, (zone, runtime) => {
        if (!scheduleFitsKind(schedule, zone.kind)) return refuse('schedule_kind_mismatch', kindMismatch(zone));
        // An empty week means "no schedule of its own": the way back to the default schedule.
        const own = isEmptyWeek(schedule) ? null : schedule;
        return changed({ ...runtime, schedule: own }, own === null ? `${zone.name} follows the default schedule` : `${zone.name} schedule set`);
      });
    }

    case 'preset_save': {
      const rest = aligned.presets.filter((preset) => preset.name !== body.name);
      if (rest.length >= MAX_PRESETS) return refuse('too_many_presets', `at most ${MAX_PRESETS} presets; delete one first`);
      const presets = [...rest, { name: body.name, schedule: body.schedule, saved_at: now.wall }];
      return applied({ ...aligned, presets }, null, `preset "${body.name}" saved`, now);
    }

    case 'preset_apply': {
      const preset = aligned.presets.find((p) => p.name === body.name);
      if (preset === undefined) return refuse('unknown_preset', `no preset named "${body.name}"`);
      const next = [...aligned.zones];
      for (const name of body.zones) {
        const index = config.zones.findIndex((zone) => zone.name === name);
        const zone = config.zones[index];
        const runtime = next[index];
        if (zone === undefined || runtime === undefined) return refuse('unknown_zone', `no zone named "${name}"`);
        if (!scheduleFitsKind(preset.schedule, zone.kind)) return refuse('schedule_kind_mismatch', kindMismatch(zone));
        next[index] = { ...runtime, schedule: preset.schedule };
      }
      return applied({ ...aligned, zones: next }, null, `preset "${preset.name}" applied to ${body.zones.join(', ')}`, now);
    }

    case 'preset_delete': {
      if (!aligned.presets.some((p) => p.name === body.name)) return refuse('unknown_preset', `no preset named "${body.name}"`);
      const presets = aligned.presets.filter((p) => p.name !== body.name);
      return applied({ ...aligned, presets }, null, `preset "${body.name}" deleted`, now);
    }

    case 'alert_ack': {
      const alert = aligned.alerts.find((a) => a.id === body.alert_id);
      if (alert === undefined) return refuse('unknown_alert', `no alert "${body.alert_id}" is up`);
      // A state_reset reports something that happened at start, with no cause that could clear it
      // later, so once seen it goes; other alerts stay, acknowledged, while their cause lasts.
      const alerts =
        alert.kind === 'state_reset'
          ? aligned.alerts.filter((a) => a.id !== alert.id)
          : aligned.alerts.map((a) => (a.id === body.alert_id ? { ...a, acknowledged: true } : a));
      return applied({ ...aligned, alerts }, alert.zone, `alert ${alert.id} acknowledged`, now);
    }

    default: {
      const unhandled: never = body;
      return unhandled;
    }
  }
}

/** What a zone command's body returns: the zone's new runtime and a description, or a refusal. */
type ZoneChange = { ok: true; runtime: ZoneRuntime; description: string } | { ok: false; error: CommandRefusal };

function changed(runtime: ZoneRuntime, description: string): ZoneChange {
  return { ok: true, runtime, description };
}

function withZone(
  config: EngineConfig,
  state: EngineState,
  name: string,
  now: Instant,
  change: (zone: ZoneConfig, runtime: ZoneRuntime) => ZoneChange,
): CommandApplication {
  const index = config.zones.findIndex((zone) => zone.name === name);
  const zone = config.zones[index];
  const runtime = state.zones[index];
  if (zone === undefined || runtime === undefined) return refuse('unknown_zone', `no zone named "${name}"`);
  const result = change(zone, runtime);
  if (!result.ok) return result;
  const zones = [...state.zones];
  zones[index] = result.runtime;
  return applied({ ...state, zones }, zone.name, result.description, now);
}

function applied(state: EngineState, zone: string | null, description: string, now: Instant): CommandApplication {
  return {
    ok: true,
    state,
    event: {
      ts: now.wall,
      source: 'command',
      zone,
      event: 'COMMAND',
      room_c: null,
      pipe_c: null,
      outdoor_c: null,
      duration_s: null,
      // The event log's detail holds 500 characters; a preset applied to many zones can say more.
      detail: description.slice(0, 500),
    },
  };
}

function refuse(code: RefusalCode, message: string): { ok: false; error: CommandRefusal } {
  return { ok: false, error: { code, message } };
}

function kindMismatch(zone: ZoneConfig): string {
  return zone.kind === 'heat'
    ? `zone ${zone.name} is a heat zone: its schedule takes setpoint entries only`
    : `zone ${zone.name} is an on/off zone: its schedule takes on/off entries only`;
}

function isEmptyWeek(schedule: WeeklySchedule): boolean {
  return Object.values(schedule).every((day) => day.length === 0);
}

function iso(wall: number): string {
  return new Date(wall).toISOString();
}
