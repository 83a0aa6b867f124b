import type { CommandState } from '@boiler/shared';

/** Base class of everything the command queue throws on purpose. */
export class CommandQueueError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'CommandQueueError';
  }
}

/** The id was already used for a command with another body; nothing was stored (the API answers 409). */
export class CommandConflictError extends CommandQueueError {
  constructor(readonly id: string) {
    super(`command ${id} was already queued with another body`);
    this.name = 'CommandConflictError';
  }
}

/** No command with this id is in the queue (the API answers 404). */
export class CommandNotFoundError extends CommandQueueError {
  constructor(readonly id: string) {
    super(`no command ${id} in the queue`);
    this.name = 'CommandNotFoundError';
  }
}

/** The command is not in a state the operation applies to, e.g. retrying one that succeeded (the API answers 409). */
export class CommandStateError extends CommandQueueError {
  constructor(
    readonly id: string,
    readonly state: CommandState,
    readonly operation: string,
    readonly allowed: readonly CommandState[],
  ) {
    super(`cannot ${operation} command ${id}: it is ${state} (only ${allowed.join(' or ')})`);
    this.name = 'CommandStateError';
  }
}

/** A store was asked to insert an id it already holds: the queue's own check should have caught it. */
export class CommandExistsError extends CommandQueueError {
  constructor(readonly id: string) {
    super(`the queue store already holds command ${id}`);
    this.name = 'CommandExistsError';
  }
}

/** The queue's tables were written by a newer relay than this one; opening them could lose commands. */
export class QueueSchemaTooNewError extends CommandQueueError {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(`command queue schema version ${found} is newer than this relay supports (${supported}); upgrade the relay`);
    this.name = 'QueueSchemaTooNewError';
  }
}

/** A queue migration threw; its transaction was rolled back and the schema stays at `version`. */
export class QueueMigrationError extends CommandQueueError {
  constructor(
    readonly version: number,
    readonly migration: string,
    cause: unknown,
  ) {
    super(`command queue migration ${version + 1} (${migration}) failed, schema left at version ${version}: ${String(cause)}`, { cause });
    this.name = 'QueueMigrationError';
  }
}

/** A stored queue row no longer matches what the code expects of it. */
export class CorruptQueueRecordError extends CommandQueueError {
  constructor(
    readonly what: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`stored ${what} is unreadable: ${reason}`, options);
    this.name = 'CorruptQueueRecordError';
  }
}
