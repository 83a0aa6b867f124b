import { z } from 'zod';
import { CommandBody, CommandError, CommandId, CommandResult, CommandState, EpochMs, type Command } from '@boiler/shared';

/** Who asked: the API's name for the caller (an API key's label, a UI session), kept in every audit row. */
export const ClientIdentity = z.string().min(1).max(200);

/**
 * What the API hands the queue for a POST: a command whose id, creation time and expiry the
 * sender may choose (a UI that picks its own UUID can repeat the POST safely) or leave to the relay.
 */
export const CommandRequest = z.strictObject({
  id: CommandId.optional(),
  created_at: EpochMs.optional(),
  expires_at: EpochMs.optional(),
  issued_by: z.string().min(1).max(100).optional(),
  body: CommandBody,
});
export type CommandRequest = z.infer<typeof CommandRequest>;

/** A command as the queue keeps it: the command itself plus where it is on its way to the agent. */
export const QueuedCommand = z.strictObject({
  id: CommandId,
  /** Arrival order (1, 2, ...): commands go out in this order. */
  arrival: z.number().int().min(1),
  body: CommandBody,
  created_at: EpochMs,
  expires_at: EpochMs,
  issued_by: z.string().min(1).max(100).nullable(),
  /** Who posted it. */
  client: ClientIdentity,
  /** When the relay stored it; latency is measured from here. */
  accepted_at: EpochMs,
  state: CommandState,
  /** Sends so far (a crash while sent counts as one). */
  attempts: z.number().int().min(0),
  /** While queued: not sent before this time (a retry's backoff). Null in every other state. */
  next_attempt_at: EpochMs.nullable(),
  /** The last time it was handed to the link; null if it never was. */
  sent_at: EpochMs.nullable(),
  /** Why the last attempt did not succeed (the agent's error, or the relay's: timeout, link_down). */
  last_error: CommandError.nullable(),
  /** The agent's answer, once it gave a final one. */
  result: CommandResult.nullable(),
  /** When it reached succeeded, failed, expired or dead. */
  finished_at: EpochMs.nullable(),
  /** When the owner discarded it from the dead-letter list; it stays readable, state still `dead`. */
  discarded_at: EpochMs.nullable(),
  updated_at: EpochMs,
});
export type QueuedCommand = z.infer<typeof QueuedCommand>;

/** What happened to a command, one audit row each. */
export const AuditAction = z.enum(['accepted', 'sent', 'retried', 'succeeded', 'failed', 'expired', 'dead', 'requeued', 'discarded']);
export type AuditAction = z.infer<typeof AuditAction>;

export const AuditEntry = z.strictObject({
  ts: EpochMs,
  command_id: CommandId,
  /** The client who caused it, or `relay` for what the queue did on its own. */
  client: ClientIdentity,
  action: AuditAction,
  detail: z.string().max(2000).nullable(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

/** The client name audit rows carry for what the queue does on its own (sends, retries, expiry). */
export const RELAY_CLIENT = 'relay';

/** The states a command does not leave on its own. `dead` leaves only by the owner's retry (or a late answer). */
export const FINAL_STATES: readonly CommandState[] = ['succeeded', 'failed', 'expired', 'dead'];

export function isFinal(state: CommandState): boolean {
  return FINAL_STATES.includes(state);
}

/** Commands per state; `dead` leaves out the discarded ones, which `discarded` counts. */
export type QueueCounts = Record<CommandState, number> & { discarded: number };

export interface ListQuery {
  state?: CommandState;
  /** At most this many, newest first. */
  limit: number;
  /** Dead commands the owner discarded are left out of a listing unless this is set. */
  includeDiscarded?: boolean;
}

/** The command as it goes on the wire. */
export function wireCommand(record: QueuedCommand): Command {
  const command: Command = { id: record.id, created_at: record.created_at, expires_at: record.expires_at, body: record.body };
  if (record.issued_by !== null) command.issued_by = record.issued_by;
  return command;
}

/** Enqueue to final, in ms, or null while it is still on its way. */
export function commandLatencyMs(record: QueuedCommand): number | null {
  return record.finished_at === null ? null : record.finished_at - record.accepted_at;
}

/** A full set of zero counts. */
export function zeroCounts(): QueueCounts {
  return { queued: 0, sent: 0, succeeded: 0, failed: 0, expired: 0, dead: 0, discarded: 0 };
}
