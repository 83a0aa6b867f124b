/** Base class of everything the agent's store throws on purpose. */
export class StoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreError';
  }
}

/** The database file was written by a newer agent than this one; opening it could lose data. */
export class SchemaTooNewError extends StoreError {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(
      `database schema version ${found} is newer than this agent supports (${supported}); ` +
        'upgrade the agent or restore a backup, the store will not open it',
    );
    this.name = 'SchemaTooNewError';
  }
}

/** A migration threw; its transaction was rolled back and the schema stays at `version`. */
export class MigrationError extends StoreError {
  constructor(
    readonly version: number,
    readonly migration: string,
    cause: unknown,
  ) {
    super(`migration ${version + 1} (${migration}) failed, schema left at version ${version}: ${String(cause)}`, { cause });
    this.name = 'MigrationError';
  }
}

/** A stored value (JSON or a column) no longer matches what the code expects of it. */
export class CorruptRecordError extends StoreError {
  constructor(
    readonly what: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`stored ${what} is unreadable: ${reason}`, options);
    this.name = 'CorruptRecordError';
  }
}

/** A command id is already recorded; at-most-once means it must never be recorded twice. */
export class DuplicateCommandError extends StoreError {
  constructor(readonly id: string) {
    super(`command ${id} is already recorded`);
    this.name = 'DuplicateCommandError';
  }
}
