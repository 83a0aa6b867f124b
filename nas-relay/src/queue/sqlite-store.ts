import { StatementCache, wrapOpened } from '@boiler/service';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import { CommandState } from '@boiler/shared';
import { CommandExistsError, CommandNotFoundError, CommandQueueError, CorruptQueueRecordError } from './errors.js';
import { QUEUE_SCHEMA_VERSION, moveQueueOutOf, openQueueDatabase, queueFileBeside, queueSchemaVersion } from './migrations.js';
import { AuditEntry, QueuedCommand, zeroCounts, type ListQuery, type QueueCounts } from './record.js';
import { auditRows, type CommandQueueStore, type NewQueuedCommand } from './store.js';

/** A queue_commands row as SQLite returns it: the JSON columns still text. */
interface CommandRow {
  id: string;
  arrival: number;
  body: string;
  created_at: number;
  expires_at: number;
  issued_by: string | null;
  client: string;
  accepted_at: number;
  state: string;
  attempts: number;
  next_attempt_at: number | null;
  sent_at: number | null;
  last_error: string | null;
  result: string | null;
  finished_at: number | null;
  discarded_at: number | null;
  updated_at: number;
}

const COLUMNS = [
  'id',
  'arrival',
  'body',
  'created_at',
  'expires_at',
  'issued_by',
  'client',
  'accepted_at',
  'state',
  'attempts',
  'next_attempt_at',
  'sent_at',
  'last_error',
  'result',
  'finished_at',
  'discarded_at',
  'updated_at',
] as const satisfies readonly (keyof CommandRow)[];

const MUTABLE = COLUMNS.filter((c) => c !== 'id' && c !== 'arrival');

function jsonOrNull(value: unknown): string | null {
  return value === null ? null : JSON.stringify(value);
}

function toRow(c: QueuedCommand): CommandRow {
  return {
    ...c,
    body: JSON.stringify(c.body),
    last_error: jsonOrNull(c.last_error),
    result: jsonOrNull(c.result),
  };
}

function parseJsonColumn(text: string | null, what: string): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CorruptQueueRecordError(what, `not JSON (${String(err)})`, { cause: err });
  }
}

/** Reads a row back through the record's schema, so a damaged or foreign row is refused, not trusted. */
function fromRow(row: CommandRow): QueuedCommand {
  const what = `queued command ${row.id}`;
  const value = {
    ...row,
    body: parseJsonColumn(row.body, `${what} body`),
    last_error: parseJsonColumn(row.last_error, `${what} last_error`),
    result: parseJsonColumn(row.result, `${what} result`),
  };
  const parsed = QueuedCommand.safeParse(value);
  if (!parsed.success) throw new CorruptQueueRecordError(what, z.prettifyError(parsed.error), { cause: parsed.error });
  return parsed.data;
}

function fromAuditRow(row: unknown): AuditEntry {
  const parsed = AuditEntry.safeParse(row);
  if (!parsed.success) throw new CorruptQueueRecordError('queue audit row', z.prettifyError(parsed.error), { cause: parsed.error });
  return parsed.data;
}

/**
 * The command queue on a SQLite file: its own beside the replica's (openBeside), or any file
 * (open). Every write is an IMMEDIATE transaction under synchronous FULL: committed to disk when
 * the call returns.
 */
export class SqliteCommandQueueStore implements CommandQueueStore {
  private readonly statements: StatementCache;

  constructor(private readonly db: Database.Database) {
    this.statements = new StatementCache(db);
    const version = queueSchemaVersion(db);
    if (version !== QUEUE_SCHEMA_VERSION) {
      throw new CommandQueueError(`command queue is at schema version ${version}, this relay needs ${QUEUE_SCHEMA_VERSION}; open it with SqliteCommandQueueStore.open`);
    }
  }

  /** Opens (creating if needed) the queue's tables in the file at `path`: pragmas, migrations, then the store. */
  static open(path: string): SqliteCommandQueueStore {
    return wrapOpened(openQueueDatabase(path), (db) => new SqliteCommandQueueStore(db));
  }

  /**
   * The relay's queue: opens it in its own file beside the replica's (queueFileBeside), first
   * moving over any commands an earlier relay kept in the replica's file at `replicaPath`.
   */
  static openBeside(replicaPath: string): SqliteCommandQueueStore {
    return wrapOpened(openQueueDatabase(queueFileBeside(replicaPath)), (db) => {
      moveQueueOutOf(db, replicaPath);
      return new SqliteCommandQueueStore(db);
    });
  }

  private stmt(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  private writeAudit(a: AuditEntry): void {
    this.stmt('INSERT INTO queue_audit (ts, command_id, client, action, detail) VALUES (@ts, @command_id, @client, @action, @detail)').run(a);
  }

  insert(command: NewQueuedCommand, audit: AuditEntry | readonly AuditEntry[]): QueuedCommand {
    return this.db
      .transaction((): QueuedCommand => {
        if (this.stmt('SELECT 1 FROM queue_commands WHERE id = ?').get(command.id) !== undefined) throw new CommandExistsError(command.id);
        const { arrival } = this.stmt('SELECT coalesce(max(arrival), 0) + 1 AS arrival FROM queue_commands').get() as { arrival: number };
        const stored: QueuedCommand = { ...command, arrival };
        this.stmt(`INSERT INTO queue_commands (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`).run(toRow(stored));
        for (const a of auditRows(audit)) this.writeAudit(a);
        return stored;
      })
      .immediate();
  }

  update(command: QueuedCommand, audit: AuditEntry): void {
    this.db
      .transaction(() => {
        const { changes } = this.stmt(`UPDATE queue_commands SET ${MUTABLE.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`).run(toRow(command));
        if (changes === 0) throw new CommandNotFoundError(command.id);
        this.writeAudit(audit);
      })
      .immediate();
  }

  get(id: string): QueuedCommand | null {
    const row = this.stmt('SELECT * FROM queue_commands WHERE id = ?').get(id) as CommandRow | undefined;
    return row === undefined ? null : fromRow(row);
  }

  inState(state: CommandState, page: { afterArrival?: number; limit: number }): QueuedCommand[] {
    const rows = this.stmt('SELECT * FROM queue_commands WHERE state = ? AND arrival > ? ORDER BY arrival LIMIT ?').all(
      state,
      page.afterArrival ?? 0,
      page.limit,
    ) as CommandRow[];
    return rows.map(fromRow);
  }

  list(query: ListQuery): QueuedCommand[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.state !== undefined) {
      where.push('state = ?');
      params.push(query.state);
    }
    if (query.includeDiscarded !== true) where.push('discarded_at IS NULL');
    const sql = `SELECT * FROM queue_commands ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY arrival DESC LIMIT ?`;
    return (this.stmt(sql).all(...params, query.limit) as CommandRow[]).map(fromRow);
  }

  counts(): QueueCounts {
    const counts = zeroCounts();
    const rows = this.stmt('SELECT state, discarded_at IS NOT NULL AS discarded, count(*) AS n FROM queue_commands GROUP BY 1, 2').all() as {
      state: string;
      discarded: number;
      n: number;
    }[];
    for (const row of rows) {
      const state = CommandState.safeParse(row.state);
      if (!state.success) throw new CorruptQueueRecordError('queue_commands.state', `unknown state ${row.state}`);
      if (row.discarded === 1) counts.discarded += row.n;
      else counts[state.data] += row.n;
    }
    return counts;
  }

  auditTrail(id: string): AuditEntry[] {
    return this.stmt('SELECT ts, command_id, client, action, detail FROM queue_audit WHERE command_id = ? ORDER BY id').all(id).map(fromAuditRow);
  }

  close(): void {
    if (!this.db.open) return;
    this.db.pragma('optimize');
    this.db.close();
  }
}
