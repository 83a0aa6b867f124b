/** Base class of everything the relay's replica throws on purpose. */
export class ReplicaError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ReplicaError';
  }
}

/**
 * A batch would leave a hole in the replica: its first new event is not the one after the
 * applied seq (or a later one skips a seq). Nothing of the batch was applied; ask for the range.
 */
export class ReplicaGapError extends ReplicaError {
  constructor(
    /** The seq the replica needed next. */
    readonly expected: number,
    /** The seq the batch offered instead. */
    readonly got: number,
  ) {
    super(`event batch leaves a gap: the replica needs seq ${expected} next, the batch has ${got}; nothing applied`);
    this.name = 'ReplicaGapError';
  }
}

/** The replica file was written by a newer relay than this one; opening it could lose data. */
export class ReplicaSchemaTooNewError extends ReplicaError {
  constructor(
    readonly found: number,
    readonly supported: number,
  ) {
    super(`replica schema version ${found} is newer than this relay supports (${supported}); upgrade the relay or delete the replica file (it is rebuilt from the agent)`);
    this.name = 'ReplicaSchemaTooNewError';
  }
}

/** A migration threw; its transaction was rolled back and the schema stays at `version`. */
export class ReplicaMigrationError extends ReplicaError {
  constructor(
    readonly version: number,
    readonly migration: string,
    cause: unknown,
  ) {
    super(`replica migration ${version + 1} (${migration}) failed, schema left at version ${version}: ${String(cause)}`, { cause });
    this.name = 'ReplicaMigrationError';
  }
}

/** A stored value no longer matches what the code expects of it. */
export class CorruptReplicaRecordError extends ReplicaError {
  constructor(
    readonly what: string,
    reason: string,
    options?: ErrorOptions,
  ) {
    super(`stored ${what} is unreadable: ${reason}`, options);
    this.name = 'CorruptReplicaRecordError';
  }
}
