import { StatementCache, wrapOpened } from '@boiler/service';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { CommandState } from '@boiler/shared';
import { CommandExistsError, CommandNotFoundError, CommandQueueError, CorruptQueueRecordError } from './errors.js';
import { QUEUE_COMMAND_COLUMNS, QUEUE_SCHEMA_VERSION, moveQueueOutOf, openQueueDatabase, queueFileBeside, queueSchemaVersion } from './migrations.js';
import { AuditEntry, QueuedCommand, zeroCounts, type ListQuery, type QueueCounts } from './record.js';
import { auditRows, type CommandQueueStore, type NewQueuedCommand } from './store.js';
import { WalSync, type FileSync } from './wal-sync.js';

export interface SqliteQueueStoreOptions {
  /** How the WAL is flushed after a commit; fdatasync on the thread pool unless a test watches it. */
  sync?: FileSync;
}

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

const COLUMNS = QUEUE_COMMAND_COLUMNS satisfies readonly (keyof CommandRow)[];

const MUTABLE = COLUMNS.filter((c) => c !== 'id' && c !== 'arrival');

// Statement texts built once; parameters are positional (cheaper to bind than named ones).
const INSERT_COMMAND_SQL = `INSERT INTO queue_commands (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;
const UPDATE_COMMAND_SQL = `UPDATE queue_commands SET ${MUTABLE.map((c) => `${c} = ?`).join(', ')} WHERE id = ?`;
const INSERT_AUDIT_SQL = 'INSERT INTO queue_audit (ts, command_id, client, action, detail) VALUES (?, ?, ?, ?, ?)';
const NEXT_ARRIVAL_SQL = 'SELECT coalesce(max(arrival), 0) + 1 FROM queue_commands';

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

/** A command's values in the order of `columns`. */
function rowValues(c: QueuedCommand, columns: readonly (keyof CommandRow)[]): (string | number | null)[] {
  const row = toRow(c);
  return columns.map((col) => row[col]);
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
 * (open). Every write is an IMMEDIATE transaction, committed (visible, and safe from a crash of
 * the process) when the call returns, and on the disk once durable() resolves: the WAL's fdatasync
 * runs off the event loop (see WalSync), so the relay hands a command to the agent while it runs.
 */
export class SqliteCommandQueueStore implements CommandQueueStore {
  private readonly statements: StatementCache;
  private readonly walSync: WalSync | null;
  private readonly insertCommand: Database.Transaction<(command: NewQueuedCommand, audit: readonly AuditEntry[]) => QueuedCommand>;
  private readonly updateCommand: Database.Transaction<(command: QueuedCommand, audit: AuditEntry) => void>;

  constructor(
    private readonly db: Database.Database,
    options: SqliteQueueStoreOptions = {},
  ) {
    this.statements = new StatementCache(db);
    // From here the store syncs each commit's WAL frames itself (see WalSync): NORMAL plus that sync is FULL.
    this.walSync = db.memory ? null : new WalSync(`${db.name}-wal`, options.sync);
    if (this.walSync !== null) db.pragma('synchronous = NORMAL');
    const version = queueSchemaVersion(db);
    if (version !== QUEUE_SCHEMA_VERSION) {
      throw new CommandQueueError(`command queue is at schema version ${version}, this relay needs ${QUEUE_SCHEMA_VERSION}; open it with SqliteCommandQueueStore.open`);
    }
    // Each write's transaction is built once, not per call, with its statements prepared.
    const insert = db.prepare(INSERT_COMMAND_SQL);
    const update = db.prepare(UPDATE_COMMAND_SQL);
    const nextArrival = db.prepare(NEXT_ARRIVAL_SQL).pluck();
    const insertAudit = db.prepare(INSERT_AUDIT_SQL);
    const writeAudit = (a: AuditEntry) => insertAudit.run(a.ts, a.command_id, a.client, a.action, a.detail);
    this.insertCommand = db.transaction((command: NewQueuedCommand, audit: readonly AuditEntry[]): QueuedCommand => {
      const stored: QueuedCommand = { ...command, arrival: nextArrival.get() as number };
      try {
        insert.run(rowValues(stored, COLUMNS));
      } catch (err) {
        // The primary key says whether the id is taken, in the same statement that stores it.
        if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new CommandExistsError(command.id);
        throw err;
      }
      for (const a of audit) writeAudit(a);
      return stored;
    });
    this.updateCommand = db.transaction((command: QueuedCommand, audit: AuditEntry): void => {
      const { changes } = update.run(...rowValues(command, MUTABLE), command.id);
      if (changes === 0) throw new CommandNotFoundError(command.id);
      writeAudit(audit);
    });
  }

  /** Opens (creating if needed) the queue's tables in the file at `path`: pragmas, migrations, then the store. */
  static open(path: string, options: SqliteQueueStoreOptions = {}): SqliteCommandQueueStore {
    return wrapOpened(openQueueDatabase(path), (db) => new SqliteCommandQueueStore(db, options));
  }

  /**
   * The relay's queue: opens it in its own file beside the replica's (queueFileBeside), first
   * moving over any commands an earlier relay kept in the replica's file at `replicaPath`.
   */
  static openBeside(replicaPath: string, options: SqliteQueueStoreOptions = {}): SqliteCommandQueueStore {
    return wrapOpened(openQueueDatabase(queueFileBeside(replicaPath)), (db) => {
      moveQueueOutOf(db, replicaPath);
      return new SqliteCommandQueueStore(db, options);
    });
  }

  private stmt(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  insert(command: NewQueuedCommand, audit: AuditEntry | readonly AuditEntry[]): QueuedCommand {
    const stored = this.insertCommand.immediate(command, auditRows(audit));
    this.walSync?.committed();
    return stored;
  }

  update(command: QueuedCommand, audit: AuditEntry): void {
    this.updateCommand.immediate(command, audit);
    this.walSync?.committed();
  }

  durable(): Promise<void> {
    return this.walSync?.durable() ?? Promise.resolve();
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
    this.walSync?.close();
    this.db.pragma('optimize');
    this.db.close();
  }
}
