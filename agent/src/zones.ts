import { z } from 'zod';
import { ZoneName, ZoneKind, WeeklySchedule, Setpoint } from '@boiler/shared';

/** How a zone is wired and what it is allowed to do; read once from `ZONES_FILE`. */
export const ZoneConfig = z.strictObject({
  name: ZoneName,
  label: z.string().min(1).max(60),
  kind: ZoneKind.default('heat'),
  /** Relay output (zone valve or circulator) for this zone. */
  output: z.string().min(1),
  /** Wall thermostat input, for THERMOSTAT mode. */
  thermostat_input: z.string().min(1).optional(),
  /** DS18B20 ids. A heat zone needs a room sensor; the pipe sensor guards against freezing. */
  room_sensor: z.string().min(1).optional(),
  pipe_sensor: z.string().min(1).optional(),
  /** Heat on below setpoint minus this, off at the setpoint (°C). */
  differential_c: z.number().min(0.1).max(5).default(0.5),
  min_on_s: z.number().int().min(0).max(3600).default(180),
  min_off_s: z.number().int().min(0).max(3600).default(180),
  /** A continuous run longer than this raises an alert ... */
  max_run_alert_s: z.number().int().min(60).default(4 * 3600),
  /** ... and one longer than this turns the zone off for its minimum off time. */
  max_run_off_s: z.number().int().min(60).default(6 * 3600),
  freeze_room_c: z.number().min(1).max(15).default(7),
  freeze_pipe_c: z.number().min(0).max(15).default(4),
  high_limit_c: z.number().min(20).max(40).default(30),
  /**
   * What a zone does while its room sensor is faulted. The duty cycle follows the weather: the
   * on-share that should hold `hold_c` at the outdoor temperature, within `min_duty`..`max_duty`
   * (see failsafeDuty in control/safety.ts). `duty_fraction` pins one share whatever the weather.
   */
  failsafe: z
    .strictObject({
      action: z.enum(['duty', 'off', 'on']).default('duty'),
      /** A fixed on-share whatever the weather (the fail-safe before it followed the weather); overrides min and max. */
      duty_fraction: z.number().min(0).max(1).optional(),
      /** The least on-share, even on a mild day: the pipes in the walls are colder than the room. */
      min_duty: z.number().min(0).max(1).default(0.2),
      max_duty: z.number().min(0).max(1).default(1),
      /** The room temperature the duty cycle aims to hold, °C: well clear of freezing, short of comfort. */
      hold_c: z.number().min(5).max(20).default(12),
      /** Cycle length; each cycle is on first, then off. */
      period_s: z.number().int().min(300).max(7200).default(1800),
    })
    .refine((f) => f.min_duty <= f.max_duty, { message: 'min_duty must not exceed max_duty', path: ['min_duty'] })
    .prefault({}),
  /** Setpoint used when no schedule says otherwise. */
  default_setpoint_c: Setpoint.default(18),
  /** Setpoint while the house is away (unless freeze protection needs more). */
  away_setpoint_c: Setpoint.default(10),
  schedule: WeeklySchedule.optional(),
  /** Simulator only: how the room behaves. */
  sim: z
    .strictObject({
      area_m2: z.number().min(1).max(500).default(20),
      exterior_ua_w_per_k: z.number().min(1).max(2000).default(60),
      emitter_w: z.number().min(100).max(50_000).default(2500),
    })
    .optional(),
});
export type ZoneConfig = z.infer<typeof ZoneConfig>;

export const ZonesFile = z
  .strictObject({
    site: z.string().min(1).max(80).default('Mountain house'),
    /** Boiler enable relay; switched on after a zone valve opens, off before the last closes. */
    boiler_output: z.string().min(1).optional(),
    /** System circulator; runs on past the boiler so the heat exchanger is purged (overrun). */
    pump_output: z.string().min(1).optional(),
    pump_overrun_s: z.number().int().min(0).max(900).default(120),
    /** Minimum on and off times of the boiler and the pump, like a zone's: short firing cycles wear a burner. */
    boiler_min_on_s: z.number().int().min(0).max(3600).default(180),
    boiler_min_off_s: z.number().int().min(0).max(3600).default(180),
    pump_min_on_s: z.number().int().min(0).max(3600).default(60),
    pump_min_off_s: z.number().int().min(0).max(3600).default(60),
    /** Input that reads the burner actually firing. */
    burner_input: z.string().min(1).optional(),
    outdoor_sensor: z.string().min(1).optional(),
    /**
     * The site's design cold, °C: the outdoor temperature the emitters are sized to hold about
     * 20 °C at when always on. The sensor-fault fail-safe plans for it when the outdoor sensor
     * has failed too, and assumes that sizing until it has learned the zone.
     */
    design_outdoor_c: z.number().min(-50).max(5).default(-20),
    default_schedule: WeeklySchedule,
    zones: z.array(ZoneConfig).min(1).max(64),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    for (const [i, zone] of file.zones.entries()) {
      if (seen.has(zone.name)) ctx.addIssue({ code: 'custom', path: ['zones', i, 'name'], message: `duplicate zone ${zone.name}` });
      seen.add(zone.name);
      if (zone.kind === 'heat' && zone.room_sensor === undefined) {
        ctx.addIssue({ code: 'custom', path: ['zones', i, 'room_sensor'], message: `heat zone ${zone.name} needs a room sensor` });
      }
    }
    const outputs = file.zones.map((z) => z.output);
    if (new Set(outputs).size !== outputs.length) ctx.addIssue({ code: 'custom', path: ['zones'], message: 'two zones share an output' });
  });
export type ZonesFile = z.infer<typeof ZonesFile>;
