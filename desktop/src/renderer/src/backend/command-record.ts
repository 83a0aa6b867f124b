import { z } from 'zod';
import { CommandBody, CommandError, CommandResult, CommandState } from '@boiler/shared';

/**
 * A command as the relay's `GET /api/commands` lists it: who posted it (`client`, and the name the
 * sender gave, `issued_by`), where it got to and the agent's answer. Only the fields the app shows;
 * the relay's record has more (its queue's bookkeeping), which parsing drops.
 */
export const CommandRecord = z.object({
  id: z.string().min(1).max(64),
  body: CommandBody,
  client: z.string().max(200),
  issued_by: z.string().max(100).nullable(),
  state: CommandState,
  attempts: z.number().int().min(0),
  created_at: z.number(),
  accepted_at: z.number(),
  finished_at: z.number().nullable(),
  last_error: CommandError.nullable(),
  result: CommandResult.nullable(),
});
export type CommandRecord = z.infer<typeof CommandRecord>;

export const CommandsReply = z.object({ commands: z.array(CommandRecord).max(1000) });

/** The most commands the relay lists at once. */
export const MAX_LISTED_COMMANDS = 500;
