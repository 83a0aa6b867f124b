import { z } from 'zod';
import { EpochMs, Seq, ClockTime } from './time.js';
import { Celsius } from './units.js';

/** What a zone name may be (ZoneName's rule, also used by checkEventEntry). */
export const ZONE_NAME_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** A zone's short name, as wired at the manifold ("Z1" … "Z14"). */
export const ZoneName = z.string().regex(ZONE_NAME_PATTERN, 'zone names are 1 to 32 letters, digits, _ or -');
export type ZoneName = z.infer<typeof ZoneName>;

/** How a zone is driven: its schedule, forced on or off, or its wall thermostat. */
export const ZoneMode = z.enum(['AUTO', 'ON', 'OFF', 'THERMOSTAT']);
export type ZoneMode = z.infer<typeof ZoneMode>;

/** A heating zone has a setpoint; an on/off zone (the water heater) only runs or rests. */
export const ZoneKind = z.enum(['heat', 'onoff']);
export type ZoneKind = z.infer<typeof ZoneKind>;

/** What safety or a fault is doing to the zone beneath its mode, if anything. */
export const ZoneCondition = z.enum([
  'normal',
  'sensor_fault',
  'freeze_protect',
  'high_limit',
  'max_run_lockout',
]);
export type ZoneCondition = z.infer<typeof ZoneCondition>;

/** The lowest and highest setpoint any command may ask for, in °C (about 41 °F to 90 °F). */
export const SETPOINT_MIN_C = 5;
export const SETPOINT_MAX_C = 32;
export const Setpoint = z.number().min(SETPOINT_MIN_C).max(SETPOINT_MAX_C);

/** How long a setpoint override lasts. */
export const OverrideKind = z.enum(['next_change', 'permanent', 'until']);
export type OverrideKind = z.infer<typeof OverrideKind>;

export const Override = z.strictObject({
  kind: OverrideKind,
  setpoint_c: Setpoint,
  /** Set for `until`; the schedule takes back over at this instant. */
  until: EpochMs.nullable(),
  set_at: EpochMs,
});
export type Override = z.infer<typeof Override>;

/** One switch point of a day's schedule: a heating zone's setpoint, or an on/off zone's state. */
export const ScheduleEntry = z.union([
  z.strictObject({ at: ClockTime, setpoint_c: Setpoint }),
  z.strictObject({ at: ClockTime, on: z.boolean() }),
]);
export type ScheduleEntry = z.infer<typeof ScheduleEntry>;

const Day = z.array(ScheduleEntry).max(12);

/** A week of switch points, evaluated in the site's time zone. */
export const WeeklySchedule = z.strictObject({
  sun: Day,
  mon: Day,
  tue: Day,
  wed: Day,
  thu: Day,
  fri: Day,
  sat: Day,
});
export type WeeklySchedule = z.infer<typeof WeeklySchedule>;

/** A named schedule the owner can save and apply to zones ("Vacation", "Ski week"). */
export const PresetName = z.string().min(1).max(40);
export const Preset = z.strictObject({ name: PresetName, schedule: WeeklySchedule, saved_at: EpochMs });
export type Preset = z.infer<typeof Preset>;

/** What the owner sees of a zone now. */
export const ZoneState = z.strictObject({
  zone: ZoneName,
  label: z.string().max(60),
  kind: ZoneKind,
  mode: ZoneMode,
  /** Whether the zone's relay is energised. */
  output: z.boolean(),
  /** The wall thermostat's call for heat, as read on its input. */
  call_for_heat: z.boolean(),
  condition: ZoneCondition,
  room_c: Celsius.nullable(),
  pipe_c: Celsius.nullable(),
  /** The setpoint in force (schedule, override or boost); null for on/off zones. */
  setpoint_c: Setpoint.nullable(),
  override: Override.nullable(),
  boost_until: EpochMs.nullable(),
  /** The sensor fault in words, while there is one. */
  fault: z.string().max(200).nullable(),
  /** When the output last switched. */
  changed_at: EpochMs,
  updated_at: EpochMs,
});
export type ZoneState = z.infer<typeof ZoneState>;

/**
 * `state_reset`: the agent's saved state was unreadable and it started fresh (schedules and presets
 * kept where readable). `storage_fault`: the agent's database refuses writes (full, read-only, I/O
 * error); control goes on from memory. `output_fault`: writing one output failed; that output alone
 * is released.
 */
export const AlertKind = z.enum(['freeze_risk', 'sensor_fault', 'long_run', 'no_temp_rise', 'high_limit', 'stuck_relay', 'state_reset', 'storage_fault', 'output_fault']);
export type AlertKind = z.infer<typeof AlertKind>;

export const Alert = z.strictObject({
  id: z.string().min(1).max(64),
  kind: AlertKind,
  zone: ZoneName.nullable(),
  message: z.string().max(300),
  raised_at: EpochMs,
  acknowledged: z.boolean(),
});
export type Alert = z.infer<typeof Alert>;

/** What the owner sees of the whole site now. */
export const SystemState = z.strictObject({
  away: z.boolean(),
  away_until: EpochMs.nullable(),
  outdoor_c: Celsius.nullable(),
  boiler_firing: z.boolean(),
  hardware: z.enum(['sim', 'pi']),
  time_zone: z.string().min(1).max(64),
  alerts: z.array(Alert).max(200),
  updated_at: EpochMs,
});
export type SystemState = z.infer<typeof SystemState>;

export const EventKind = z.enum(['ON', 'OFF', 'SAMPLE', 'ALERT', 'COMMAND']);
export type EventKind = z.infer<typeof EventKind>;

export const EventSource = z.enum(['control', 'safety', 'thermostat', 'command', 'sampler', 'system']);
export type EventSource = z.infer<typeof EventSource>;

/** One row of the agent's event log, which is also the outbox to the relay. */
export const EventEntry = z.strictObject({
  seq: Seq,
  ts: EpochMs,
  source: EventSource,
  zone: ZoneName.nullable(),
  event: EventKind,
  room_c: Celsius.nullable(),
  pipe_c: Celsius.nullable(),
  outdoor_c: Celsius.nullable(),
  /**
   * On SAMPLE: the setpoint in force when the sample was taken; null for an on/off zone, a zone not
   * in AUTO (no setpoint is in force) and every other kind of event. Optional so that JSON written
   * before it existed (a reply from an older server, a stored row read back) still parses; absent
   * means null. The link does not rely on that: its protocol version went to 2 with this field
   * (see PROTOCOL_VERSION), so an agent and a relay of different builds refuse each other at the
   * first frame instead of one dropping the other's event frames as unknown fields.
   * Celsius, not Setpoint: it records what was in force, and a reading is never refused for it.
   */
  setpoint_c: Celsius.nullable().exactOptional(),
  /** On OFF: how long the run that just ended lasted. */
  duration_s: z.number().int().min(0).nullable(),
  detail: z.string().max(500).nullable(),
});
export type EventEntry = z.infer<typeof EventEntry>;

/** One point of a zone's history, possibly the average of many samples. */
export const HistoryPoint = z.strictObject({
  ts: EpochMs,
  room_c: Celsius.nullable(),
  pipe_c: Celsius.nullable(),
  outdoor_c: Celsius.nullable(),
  /**
   * The setpoint in force at the last sample of the interval that had one (a step line, never a
   * value between two setpoints); null where none was recorded (an on/off zone, a mode without a
   * setpoint, history from before setpoints were recorded). Absent in replies of older servers.
   */
  setpoint_c: Celsius.nullable().exactOptional(),
  /** Fraction of the interval the output was on, 0 to 1. */
  duty: z.number().min(0).max(1).nullable(),
});
export type HistoryPoint = z.infer<typeof HistoryPoint>;

/** The owner's settings that are not zone state: every schedule and the saved presets. */
export const SiteSettings = z.strictObject({
  default_schedule: WeeklySchedule,
  /** Zones with a week of their own; the others follow the default schedule. */
  zone_schedules: z.array(z.strictObject({ zone: ZoneName, schedule: WeeklySchedule })).max(64),
  presets: z.array(Preset).max(100),
});
export type SiteSettings = z.infer<typeof SiteSettings>;
