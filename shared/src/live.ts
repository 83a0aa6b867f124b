import { z } from 'zod';
import { ZoneState, SystemState, EventEntry, SiteSettings } from './models.js';
import { CommandBody, CommandError, CommandResult, CommandState } from './commands.js';
import { EpochMs } from './time.js';

/** A command as the apps see it on the relay: where it is on its way to the agent. */
export const CommandStatus = z.strictObject({
  id: z.uuid(),
  body: CommandBody,
  state: CommandState,
  attempts: z.number().int().min(0),
  created_at: EpochMs,
  expires_at: EpochMs,
  last_error: CommandError.nullable(),
  result: CommandResult.nullable(),
  updated_at: EpochMs,
});
export type CommandStatus = z.infer<typeof CommandStatus>;

/** What a UI sends on the relay's live socket (`/api/live`). */
export const LiveClientMessage = z.discriminatedUnion('type', [
  /** The first message when the key could not go in a header (browsers cannot set one on a websocket). */
  z.strictObject({ type: z.literal('auth'), key: z.string().min(1).max(200) }),
  z.strictObject({ type: z.literal('ping'), id: z.string().max(64).optional() }),
]);
export type LiveClientMessage = z.infer<typeof LiveClientMessage>;

/** What the relay pushes to UIs. After auth (and after every reconnect) a snapshot comes first. */
export const LiveServerMessage = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('snapshot'),
    zones: z.array(ZoneState),
    system: SystemState.nullable(),
    commands: z.array(CommandStatus),
    pi_connected: z.boolean(),
    /** The relay's clock when it saw the link to the Pi drop; null while connected or when it has seen no drop. */
    pi_offline_since: EpochMs.nullable(),
  }),
  z.strictObject({ type: z.literal('zones'), zones: z.array(ZoneState) }),
  z.strictObject({ type: z.literal('system'), system: SystemState }),
  /** The schedules and presets, whole, each time the Pi sends them (after every change to them). */
  z.strictObject({ type: z.literal('settings'), settings: SiteSettings }),
  z.strictObject({ type: z.literal('events'), events: z.array(EventEntry) }),
  z.strictObject({ type: z.literal('command'), command: CommandStatus }),
  z.strictObject({ type: z.literal('link'), pi_connected: z.boolean(), pi_offline_since: EpochMs.nullable() }),
  z.strictObject({ type: z.literal('pong'), id: z.string().max(64).optional() }),
  z.strictObject({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type LiveServerMessage = z.infer<typeof LiveServerMessage>;
