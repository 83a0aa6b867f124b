import { z } from 'zod';
import { EpochMs } from './time.js';
import { ZoneName, ZoneMode, Setpoint, OverrideKind, WeeklySchedule, PresetName } from './models.js';

/** What a command asks for; the agent validates each against its zones before acting. */
export const CommandBody = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('zone_mode'), zone: ZoneName, mode: ZoneMode }),
  z.strictObject({
    type: z.literal('setpoint'),
    zone: ZoneName,
    setpoint_c: Setpoint,
    override: OverrideKind,
    /** Required when override is `until`. */
    until: EpochMs.optional(),
  }),
  z.strictObject({ type: z.literal('boost'), zone: ZoneName, minutes: z.number().int().min(1).max(240) }),
  z.strictObject({ type: z.literal('clear_override'), zone: ZoneName }),
  z.strictObject({ type: z.literal('away'), until: EpochMs.optional() }),
  z.strictObject({ type: z.literal('home') }),
  z.strictObject({
    type: z.literal('schedule_set'),
    /** A zone, or `default` for the schedule zones without their own follow. */
    zone: z.union([ZoneName, z.literal('default')]),
    schedule: WeeklySchedule,
  }),
  z.strictObject({ type: z.literal('preset_save'), name: PresetName, schedule: WeeklySchedule }),
  z.strictObject({ type: z.literal('preset_apply'), name: PresetName, zones: z.array(ZoneName).min(1).max(100) }),
  z.strictObject({ type: z.literal('preset_delete'), name: PresetName }),
  z.strictObject({ type: z.literal('alert_ack'), alert_id: z.string().min(1).max(64) }),
]);
export type CommandBody = z.infer<typeof CommandBody>;
export type CommandType = CommandBody['type'];

export const CommandId = z.uuid();

/** A command as it travels: chosen id, who asked, and when it stops being worth doing. */
export const Command = z.strictObject({
  id: CommandId,
  created_at: EpochMs,
  expires_at: EpochMs,
  issued_by: z.string().min(1).max(100).optional(),
  body: CommandBody,
});
export type Command = z.infer<typeof Command>;

/** How the agent finished with a command. */
export const CommandOutcome = z.enum(['succeeded', 'failed', 'expired']);
export type CommandOutcome = z.infer<typeof CommandOutcome>;

export const CommandError = z.strictObject({
  code: z.string().min(1).max(64),
  message: z.string().max(500),
});
export type CommandError = z.infer<typeof CommandError>;

export const CommandResult = z.strictObject({
  id: CommandId,
  outcome: CommandOutcome,
  error: CommandError.nullable(),
  /** The seq of the event the command wrote, when it changed anything. */
  seq: z.number().int().min(1).nullable(),
  finished_at: EpochMs,
});
export type CommandResult = z.infer<typeof CommandResult>;

/** The states a command passes through, as the UI sees them. */
export const CommandState = z.enum(['queued', 'sent', 'succeeded', 'failed', 'expired', 'dead']);
export type CommandState = z.infer<typeof CommandState>;

/** How long a command stays worth doing when its sender does not say: ten minutes. */
export const DEFAULT_COMMAND_TTL_MS = 10 * 60 * 1000;
