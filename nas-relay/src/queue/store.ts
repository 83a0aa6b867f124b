import type { CommandState } from '@boiler/shared';
import { CommandExistsError, CommandNotFoundError } from './errors.js';
import { zeroCounts, type AuditEntry, type ListQuery, type QueueCounts, type QueuedCommand } from './record.js';

/** A command not yet stored: the store gives it its place in arrival order. */
export type NewQueuedCommand = Omit<QueuedCommand, 'arrival'>;

/**
 * Where the command queue keeps its commands and audit trail. Every write is one transaction,
 * committed before the call returns, with its audit row in it; on the disk (for a store on disk)
 * once durable() resolves.
 */
export interface CommandQueueStore {
  /**
   * Stores a new command after every other in arrival order, with its audit row (or rows, in
   * order: an accept and a first send stored together); throws CommandExistsError if the id is taken.
   */
  insert(command: NewQueuedCommand, audit: AuditEntry | readonly AuditEntry[]): QueuedCommand;
  /** Replaces a stored command (all but id and arrival) and appends its audit row; throws CommandNotFoundError. */
  update(command: QueuedCommand, audit: AuditEntry): void;
  get(id: string): QueuedCommand | null;
  /** Commands in one state, in arrival order, starting after `afterArrival`. */
  inState(state: CommandState, page: { afterArrival?: number; limit: number }): QueuedCommand[];
  /** Commands newest first, optionally of one state; discarded ones only when asked. */
  list(query: ListQuery): QueuedCommand[];
  counts(): QueueCounts;
  /** A command's audit rows, oldest first. */
  auditTrail(id: string): AuditEntry[];
  /** Resolves once every write so far is on the disk (a power cut cannot take it back); rejects if that failed. */
  durable(): Promise<void>;
  close(): void;
}

/** The queue store for unit tests: the same contract, in memory, nothing durable. */
export class MemoryCommandQueueStore implements CommandQueueStore {
  private readonly commands = new Map<string, QueuedCommand>();
  private readonly audit: AuditEntry[] = [];
  private lastArrival = 0;

  insert(command: NewQueuedCommand, audit: AuditEntry | readonly AuditEntry[]): QueuedCommand {
    if (this.commands.has(command.id)) throw new CommandExistsError(command.id);
    const stored: QueuedCommand = { ...structuredClone(command), arrival: ++this.lastArrival };
    this.commands.set(stored.id, stored);
    for (const a of auditRows(audit)) this.audit.push(structuredClone(a));
    return structuredClone(stored);
  }

  update(command: QueuedCommand, audit: AuditEntry): void {
    const existing = this.commands.get(command.id);
    if (existing === undefined) throw new CommandNotFoundError(command.id);
    this.commands.set(command.id, { ...structuredClone(command), arrival: existing.arrival });
    this.audit.push(structuredClone(audit));
  }

  get(id: string): QueuedCommand | null {
    const c = this.commands.get(id);
    return c === undefined ? null : structuredClone(c);
  }

  inState(state: CommandState, page: { afterArrival?: number; limit: number }): QueuedCommand[] {
    const after = page.afterArrival ?? 0;
    return this.byArrival()
      .filter((c) => c.state === state && c.arrival > after)
      .slice(0, page.limit)
      .map((c) => structuredClone(c));
  }

  list(query: ListQuery): QueuedCommand[] {
    return this.byArrival()
      .reverse()
      .filter((c) => (query.state === undefined || c.state === query.state) && (query.includeDiscarded === true || c.discarded_at === null))
      .slice(0, query.limit)
      .map((c) => structuredClone(c));
  }

  counts(): QueueCounts {
    const counts = zeroCounts();
    for (const c of this.commands.values()) {
      if (c.discarded_at !== null) counts.discarded++;
      else counts[c.state]++;
    }
    return counts;
  }

  auditTrail(id: string): AuditEntry[] {
    return this.audit.filter((a) => a.command_id === id).map((a) => structuredClone(a));
  }

  durable(): Promise<void> {
    return Promise.resolve();
  }

  close(): void {}

  private byArrival(): QueuedCommand[] {
    return [...this.commands.values()].sort((a, b) => a.arrival - b.arrival);
  }
}

/** One audit row or several, as a list. */
export function auditRows(audit: AuditEntry | readonly AuditEntry[]): readonly AuditEntry[] {
  return Array.isArray(audit) ? (audit as readonly AuditEntry[]) : [audit as AuditEntry];
}
