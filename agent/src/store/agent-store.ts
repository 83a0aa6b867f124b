import { StatementCache, wrapOpened } from '@boiler/service';
import Database from 'better-sqlite3';
import { z } from 'zod';
import {
  Command,
  CommandBody,
  CommandId,
  CommandOutcome,
  CommandResult,
  EpochMs,
  EventEntry,
  Preset,
  WeeklySchedule,
  ZoneName,
  canonicalJson,
  parseUnknown,
  type HistoryPoint,
  type ZoneStatsReply,
} from '@boiler/shared';
import type { StoredSettings } from '../control/state.js';
import {
  EVENT_COLUMNS,
  INSERT_EVENT_SQL,
  MAX_QUERY_EVENTS,
  Sample,
  SampleLog,
  ZoneStatsLog,
  eventParams,
  eventQuerySql,
  pruneSampleEvents,
  requireWholeNumber as checkInt,
  sampleEvent,
  type EventQuery,
  type ZoneStatsRequest,
} from '@boiler/service';
import { CorruptRecordError, DuplicateCommandError, StoreError } from './errors.js';
import { SCHEMA_VERSION, schemaVersion } from './migrations.js';
import { openDatabase } from './open.js';

/** How many of the newest events the agent always keeps, so the relay can ask for any gap up to this. */
export const OUTBOX_WINDOW = 10_000;

// What the relay's replica shares with this store: the same event queries and samples.
export { MAX_QUERY_EVENTS, SAMPLE_DETAIL, Sample, type EventQuery } from '@boiler/service';

/** An event before the store gives it its seq. */
export const NewEvent = EventEntry.omit({ seq: true });
export type NewEvent = z.infer<typeof NewEvent>;

/** Whose engine state a runtime row holds. */
export type RuntimeKey = 'system' | { readonly zone: ZoneName };

/** A zone's own schedule, or the default one for zones without their own. */
export type ScheduleTarget = ZoneName | 'default';

/** What the agent remembers of a command it finished, for at-most-once execution. */
export interface StoredCommand {
  id: string;
  paramHash: string;
  body: CommandBody;
  outcome: CommandOutcome;
  result: CommandResult;
  receivedAt: number;
  finishedAt: number;
}

/** One line of the audit trail: who did what, and through which command if any. */
export interface AuditEntry {
  ts: number;
  commandId: string | null;
  actor: string;
  action: string;
  detail: string | null;
}

/** A command the agent ran, as recordExecution stores it. */
export interface ExecutedCommand {
  /** As parsed where it arrived. */
  command: Command;
  paramHash: string;
  /** Its COMMAND event, before the store gives it its seq. */
  event: NewEvent;
  /** Who asked (the relay and its name, or the API and its caller). */
  actor: string;
  /** When it ran (wall ms): the event's, audit row's and outcome's time. */
  at: number;
}

export interface AuditRow extends AuditEntry {
  id: number;
}

export interface PruneOptions {
  /** Only events with ts before this instant may go (retention by age). */
  olderThan?: number;
  /** Deletes at most this many rows per call, so one call never stalls the control loop; default 50,000. */
  maxRows?: number;
}

const StoredCommandRow = z.strictObject({
  id: CommandId,
  param_hash: z.string(),
  body: z.string(),
  outcome: CommandOutcome,
  result: z.string(),
  received_at: z.number().int(),
  finished_at: z.number().int(),
});

const AuditInput = z.strictObject({
  ts: EpochMs,
  commandId: CommandId.nullable(),
  actor: z.string().min(1).max(100),
  action: z.string().min(1).max(100),
  detail: z.string().max(2000).nullable(),
});

/** Parses JSON stored by this store, refusing anything its schema does not accept. */
function parseStored<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptRecordError(what, `not JSON (${String(err)})`, { cause: err });
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new CorruptRecordError(what, z.prettifyError(result.error), { cause: result.error });
  return result.data;
}

function runtimeParts(key: RuntimeKey): { scope: 'zone' | 'system'; zone: string; what: string } {
  if (key === 'system') return { scope: 'system', zone: '', what: 'system runtime state' };
  return { scope: 'zone', zone: parseUnknown(ZoneName, key.zone, 'runtime zone'), what: `runtime state of zone ${key.zone}` };
}

/**
 * The agent's primary store: event log (the outbox), samples with rollups, engine runtime
 * state, the owner's schedules and presets (their one home), commands and audit. Every write runs in transaction(), which nests,
 * so a caller can wrap a state change, its event, the command result and the audit row in one.
 */
export class AgentStore {
  private readonly statements: StatementCache;
  private readonly samples: SampleLog;
  private readonly stats: ZoneStatsLog;

  constructor(private readonly db: Database.Database) {
    this.statements = new StatementCache(db);
    const version = schemaVersion(db);
    if (version !== SCHEMA_VERSION) {
      throw new StoreError(`database is at schema version ${version}, this store needs ${SCHEMA_VERSION}; open it with AgentStore.open`);
    }
    this.samples = new SampleLog(db);
    this.stats = new ZoneStatsLog(db);
  }

  /** Opens the file with the agent's pragmas, brings its schema up to date and wraps it. */
  static open(path: string, options: { exclusive?: boolean } = {}): AgentStore {
    return wrapOpened(openDatabase(path, options), (db) => new AgentStore(db));
  }

  private stmt(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  /** Runs fn in one write transaction (BEGIN IMMEDIATE; a savepoint when nested); all or nothing. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // ---- event log / outbox -------------------------------------------------------------

  /** Appends events, giving them the next seqs (last + 1, …) in the same transaction. */
  appendEvents(rows: readonly NewEvent[]): EventEntry[] {
    const parsed = rows.map((row, i) => parseUnknown(NewEvent, row, `event ${i}`));
    return this.transaction(() => this.appendValid(parsed));
  }

  /**
   * appendEvents for rows parsed already (the waiting writes parse each on the way in): not
   * parsed a second time, and no savepoint of its own, so it runs inside the caller's transaction.
   */
  appendParsedEvents(rows: readonly NewEvent[]): EventEntry[] {
    this.requireTransaction('appendParsedEvents');
    return this.appendValid(rows);
  }

  private requireTransaction(what: string): void {
    // Outside one, each statement would commit alone: an event without its seq bump, or the reverse.
    if (!this.db.inTransaction) throw new StoreError(`${what} runs inside transaction()`);
  }

  private appendValid(rows: readonly NewEvent[]): EventEntry[] {
    if (rows.length === 0) return [];
    const insert = this.stmt(INSERT_EVENT_SQL);
    let seq = this.lastSeq();
    const out: EventEntry[] = [];
    for (const row of rows) {
      seq += 1;
      // setpoint_c as the table gives it back (null when absent), so what goes out live equals what a catch-up reads.
      const entry: EventEntry = { seq, ...row, setpoint_c: row.setpoint_c ?? null };
      insert.run(...eventParams(entry));
      out.push(entry);
    }
    this.stmt(`UPDATE meta SET value = ? WHERE key = 'last_event_seq'`).run(seq);
    return out;
  }

  /** The highest seq ever given out (0 before the first event); pruning never lowers it. */
  lastSeq(): number {
    const row = this.stmt(`SELECT value FROM meta WHERE key = 'last_event_seq'`).get() as { value: number } | undefined;
    if (row === undefined) throw new CorruptRecordError('meta', 'last_event_seq is missing');
    return row.value;
  }

  /** The oldest seq still kept, or null when the log is empty. */
  oldestSeq(): number | null {
    const row = this.stmt('SELECT min(seq) AS seq FROM events').get() as { seq: number | null };
    return row.seq;
  }

  /**
   * The oldest seq from which the log holds every event, or null when it is empty: above both the
   * oldest row and every raw SAMPLE event pruneSamples took out of the middle. What the relay can
   * be sent whole (a full sync starts here).
   */
  completeFromSeq(): number | null {
    const oldest = this.oldestSeq();
    if (oldest === null) return null;
    const row = this.stmt(`SELECT value FROM meta WHERE key = 'complete_from_seq'`).get() as { value: number } | undefined;
    return Math.max(oldest, row?.value ?? 0);
  }

  /** Events with seq > afterSeq, oldest first, at most `limit` (up to OUTBOX_WINDOW): the outbox read. */
  eventsAfter(afterSeq: number, limit: number): EventEntry[] {
    checkInt('afterSeq', afterSeq, 0, Number.MAX_SAFE_INTEGER);
    checkInt('limit', limit, 1, OUTBOX_WINDOW);
    return this.stmt(`SELECT ${EVENT_COLUMNS} FROM events WHERE seq > ? ORDER BY seq LIMIT ?`).all(afterSeq, limit) as EventEntry[];
  }

  /** Events matching every given filter, newest first. */
  queryEvents(query: EventQuery = {}): EventEntry[] {
    const q = eventQuerySql(query);
    return q === null ? [] : (this.stmt(q.sql).all(...q.params) as EventEntry[]);
  }

  /**
   * Deletes the oldest events, keeping at least the newest max(keepAtLeast, OUTBOX_WINDOW) and,
   * with `olderThan`, everything from the first event at or after that instant. Only a prefix
   * of the log is ever deleted, so what is kept stays contiguous. Returns how many went.
   */
  pruneEvents(keepAtLeast: number, options: PruneOptions = {}): number {
    checkInt('keepAtLeast', keepAtLeast, 0, Number.MAX_SAFE_INTEGER);
    const maxRows = options.maxRows ?? 50_000;
    checkInt('maxRows', maxRows, 1, Number.MAX_SAFE_INTEGER);
    const keep = Math.max(keepAtLeast, OUTBOX_WINDOW);
    return this.transaction(() => {
      const oldest = this.oldestSeq();
      if (oldest === null) return 0;
      // Seqs below `boundary` go.
      let boundary = Math.min(this.lastSeq() - keep + 1, oldest + maxRows);
      if (options.olderThan !== undefined && boundary > oldest) {
        const young = this.stmt('SELECT min(seq) AS seq FROM events WHERE seq >= ? AND seq < ? AND ts >= ?').get(
          oldest,
          boundary,
          options.olderThan,
        ) as { seq: number | null };
        if (young.seq !== null) boundary = young.seq;
      }
      if (boundary <= oldest) return 0;
      return this.stmt('DELETE FROM events WHERE seq < ?').run(boundary).changes;
    });
  }

  // ---- samples and history ------------------------------------------------------------

  /**
   * Stores samples, adds them to every rollup tier and logs one SAMPLE event each (they reach
   * the relay through the outbox), all in one transaction. A second sample for the same zone
   * and instant is ignored. Returns the SAMPLE events written.
   */
  recordSamples(samples: readonly Sample[]): EventEntry[] {
    const parsed = samples.map((s, i) => parseUnknown(Sample, s, `sample ${i}`));
    return this.transaction(() => this.appendValid(this.samples.record(parsed).map(sampleEvent)));
  }

  /**
   * A zone's history over [from, to) in at most `points` points (1 to MAX_HISTORY_POINTS),
   * oldest first, averaged in SQL from the coarsest rollup tier that fits one point. A point's
   * ts is the start of its bucket (the first is clamped to `from`); buckets with no samples are
   * left out; duty is the fraction of samples with the output on.
   */
  history(zone: ZoneName, from: number, to: number, points: number): HistoryPoint[] {
    return this.samples.history(zone, from, to, points);
  }

  /** A zone's runs, calls and duty per site day, in SQL over the event log (the replica runs the same). */
  zoneStats(request: ZoneStatsRequest): ZoneStatsReply {
    return this.stats.zoneStats(request);
  }

  /**
   * Retention of raw samples: deletes up to `maxRows` raw samples taken before `olderThan`, and up
   * to `maxRows` of their SAMPLE events (never inside the newest OUTBOX_WINDOW), in one short
   * transaction; rollups stay, so history over the pruned range is still answered. Call it again
   * while it returns full batches. Other event kinds are left to pruneEvents.
   */
  pruneSamples(olderThan: number, maxRows: number): { samples: number; events: number } {
    return this.transaction(() => {
      const samples = this.samples.pruneRaw(olderThan, maxRows);
      const keepFrom = this.lastSeq() - OUTBOX_WINDOW + 1;
      const events = pruneSampleEvents((sql) => this.stmt(sql), olderThan, maxRows, keepFrom);
      if (events.through !== null) {
        this.stmt(
          `INSERT INTO meta (key, value) VALUES ('complete_from_seq', ?)
           ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)`,
        ).run(events.through + 1);
      }
      return { samples, events: events.removed };
    });
  }

  /** Retention of the finest rollup tier: deletes up to `maxRows` of its buckets that start before `before`. */
  pruneFinestRollup(before: number, maxRows: number): number {
    return this.samples.pruneFinestRollup(before, maxRows);
  }

  // ---- engine runtime state -----------------------------------------------------------

  /**
   * Stores a zone's or the system's engine state as JSON (one statement: atomic on its own, and
   * part of the caller's transaction when there is one). Its shape is the caller's type's, so it
   * is not parsed again on the way in (loadRuntime parses it on the way out); only a number JSON
   * would silently turn into null (NaN, an infinity, which types do not rule out) is refused.
   */
  saveRuntime(key: RuntimeKey, state: object, at: number): void {
    const { scope, zone, what } = runtimeParts(key);
    let json: string;
    try {
      json = JSON.stringify(state, refuseNonFinite);
    } catch (err) {
      throw new StoreError(`${what} is not JSON-serialisable: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    this.stmt(
      `INSERT INTO runtime (scope, zone, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (scope, zone) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    ).run(scope, zone, json, at);
  }

  /** A stored engine state parsed by `schema`, null when none; throws CorruptRecordError when it does not parse. */
  loadRuntime<S extends z.ZodType>(key: RuntimeKey, schema: S): z.output<S> | null {
    const { scope, zone, what } = runtimeParts(key);
    const row = this.stmt('SELECT state FROM runtime WHERE scope = ? AND zone = ?').get(scope, zone) as { state: string } | undefined;
    return row === undefined ? null : parseStored(schema, row.state, what);
  }

  /** Every zone's stored engine state, by zone name. */
  loadZoneRuntimes<S extends z.ZodType>(schema: S): Map<ZoneName, z.output<S>> {
    const rows = this.stmt(`SELECT zone, state FROM runtime WHERE scope = 'zone' ORDER BY zone`).all() as { zone: string; state: string }[];
    return new Map(rows.map((r) => [r.zone, parseStored(schema, r.state, `runtime state of zone ${r.zone}`)]));
  }

  /** Forgets a zone's or the system's engine state; true when there was one. */
  deleteRuntime(key: RuntimeKey): boolean {
    const { scope, zone } = runtimeParts(key);
    return this.transaction(() => this.stmt('DELETE FROM runtime WHERE scope = ? AND zone = ?').run(scope, zone).changes > 0);
  }

  // ---- schedules and presets ---------------------------------------------------------

  /**
   * Every stored schedule and preset, each row parsed on its own: a damaged row costs only itself
   * (it is named in `unreadable`, and its zone or the default takes the config's schedule).
   * Presets come in the order they were saved.
   */
  loadSettings(): { settings: StoredSettings; unreadable: string[] } {
    const settings: StoredSettings = { default_schedule: null, zone_schedules: new Map(), presets: [] };
    const unreadable: string[] = [];
    const schedules = this.stmt('SELECT target, schedule FROM schedules ORDER BY target').all() as { target: string; schedule: string }[];
    for (const row of schedules) {
      const isDefault = row.target === DEFAULT_SCHEDULE_KEY;
      const what = isDefault ? 'the default schedule' : `schedule of ${row.target}`;
      try {
        if (isDefault) settings.default_schedule = parseStored(WeeklySchedule, row.schedule, what);
        else settings.zone_schedules.set(parseUnknown(ZoneName, row.target, 'schedule target'), parseStored(WeeklySchedule.nullable(), row.schedule, what));
      } catch (err) {
        unreadable.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    for (const row of this.stmt('SELECT name, schedule, saved_at FROM presets ORDER BY rowid').all() as PresetRow[]) {
      const preset = Preset.safeParse({ name: row.name, schedule: safeJson(row.schedule), saved_at: row.saved_at });
      if (preset.success) settings.presets.push(preset.data);
      else unreadable.push(`preset ${row.name}: ${z.prettifyError(preset.error)}`);
    }
    return { settings, unreadable };
  }

  /** Sets a zone's schedule (null: the zone follows the default) or, for 'default', the default one. */
  setSchedule(target: ScheduleTarget, schedule: WeeklySchedule | null, at: number): void {
    const name = parseScheduleTarget(target);
    if (name === 'default' && schedule === null) throw new StoreError('the default schedule cannot be null');
    const json = JSON.stringify(parseUnknown(WeeklySchedule.nullable(), schedule, `schedule of ${name}`));
    this.stmt(
      `INSERT INTO schedules (target, schedule, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (target) DO UPDATE SET schedule = excluded.schedule, updated_at = excluded.updated_at`,
    ).run(name === 'default' ? DEFAULT_SCHEDULE_KEY : name, json, at);
  }

  /** Saves a preset, replacing one of the same name; it becomes the newest saved. */
  savePreset(preset: Preset): void {
    const p = parseUnknown(Preset, preset, 'preset');
    this.transaction(() => {
      // Deleted and inserted rather than updated: a new rowid keeps the presets in the order they were saved.
      this.stmt('DELETE FROM presets WHERE name = ?').run(p.name);
      this.stmt('INSERT INTO presets (name, schedule, saved_at) VALUES (?, ?, ?)').run(p.name, JSON.stringify(p.schedule), p.saved_at);
    });
  }

  /** Deletes a preset; true when there was one. */
  deletePreset(name: string): boolean {
    return this.stmt('DELETE FROM presets WHERE name = ?').run(name).changes > 0;
  }

  /** Replaces every stored schedule and preset with `settings`, in one transaction (the agent's start keeps them in step with its zones). */
  replaceSettings(settings: StoredSettings, at: number): void {
    this.transaction(() => {
      this.stmt('DELETE FROM schedules').run();
      this.stmt('DELETE FROM presets').run();
      if (settings.default_schedule !== null) this.setSchedule('default', settings.default_schedule, at);
      for (const [zone, schedule] of settings.zone_schedules) this.setSchedule(zone, schedule, at);
      for (const preset of settings.presets) this.savePreset(preset);
    });
  }

  // ---- commands and audit -------------------------------------------------------------

  /** The stored outcome of a command id, or null if the agent never finished it. */
  findCommand(id: string): StoredCommand | null {
    const raw = this.stmt(
      'SELECT id, param_hash, body, outcome, result, received_at, finished_at FROM commands WHERE id = ?',
    ).get(id) as unknown;
    if (raw === undefined) return null;
    const what = `command ${id}`;
    const parsed = StoredCommandRow.safeParse(raw);
    if (!parsed.success) throw new CorruptRecordError(what, z.prettifyError(parsed.error));
    const row = parsed.data;
    return {
      id: row.id,
      paramHash: row.param_hash,
      body: parseStored(CommandBody, row.body, `${what} body`),
      outcome: row.outcome,
      result: parseStored(CommandResult, row.result, `${what} result`),
      receivedAt: row.received_at,
      finishedAt: row.finished_at,
    };
  }

  /**
   * Records how a command finished; throws DuplicateCommandError if its id is already recorded.
   * Call it inside the transaction that made the command's state change and wrote its audit row.
   */
  recordCommand(command: Command, paramHash: string, result: CommandResult, receivedAt: number = result.finished_at): void {
    const c = parseUnknown(Command, command, 'command');
    const r = parseUnknown(CommandResult, result, 'command result');
    if (r.id !== c.id) throw new StoreError(`result ${r.id} does not belong to command ${c.id}`);
    this.insertCommand(c, paramHash, r, receivedAt);
  }

  /** One statement: atomic alone, and part of the caller's transaction without a savepoint of its own. */
  private insertCommand(c: Command, paramHash: string, r: CommandResult, receivedAt: number): void {
    if (paramHash.length === 0) throw new StoreError(`command ${c.id} has an empty parameter hash`);
    try {
      this.stmt(
        `INSERT INTO commands (id, param_hash, body, outcome, result, received_at, finished_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ).run(c.id, paramHash, JSON.stringify(c.body), r.outcome, JSON.stringify(r), receivedAt, r.finished_at);
    } catch (err) {
      if (err instanceof Database.SqliteError && err.code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw new DuplicateCommandError(c.id);
      throw err;
    }
  }

  /** Appends an audit row; returns its id. */
  audit(entry: AuditEntry): number {
    return this.insertAudit(parseUnknown(AuditInput, entry, 'audit entry'));
  }

  /** One statement: atomic alone, and part of the caller's transaction without a savepoint of its own. */
  private insertAudit(e: AuditEntry): number {
    return Number(this.stmt('INSERT INTO audit (ts, command_id, actor, action, detail) VALUES (?, ?, ?, ?, ?)').run(e.ts, e.commandId, e.actor, e.action, e.detail).lastInsertRowid);
  }

  /**
   * Stores a command the agent has just run, inside the caller's transaction (with the state it
   * changed): its event with the next seq, its audit row and its succeeded outcome naming that
   * seq. Nothing is parsed again here: the command was parsed where it arrived (the link's codec,
   * the API's schema) and the rest is the agent's own typed making, so a command's commit is its
   * SQL and its sync, not a second pass of the schemas; the tables' constraints still hold.
   * Throws DuplicateCommandError if the id is already recorded.
   */
  recordExecution(run: ExecutedCommand): { result: CommandResult; event: EventEntry } {
    this.requireTransaction('recordExecution');
    const { command, at } = run;
    const [event] = this.appendValid([run.event]) as [EventEntry];
    const result: CommandResult = { id: command.id, outcome: 'succeeded', error: null, seq: event.seq, finished_at: at };
    this.insertAudit({ ts: at, commandId: command.id, actor: run.actor.slice(0, 100), action: command.body.type, detail: canonicalJson(command.body).slice(0, 2000) });
    this.insertCommand(command, run.paramHash, result, at);
    return { result, event };
  }

  /** Audit rows, newest first, optionally of one command. */
  auditTrail(options: { commandId?: string; limit?: number } = {}): AuditRow[] {
    const limit = options.limit ?? 100;
    checkInt('limit', limit, 1, MAX_QUERY_EVENTS);
    const cols = 'id, ts, command_id AS commandId, actor, action, detail';
    return (
      options.commandId === undefined
        ? this.stmt(`SELECT ${cols} FROM audit ORDER BY id DESC LIMIT ?`).all(limit)
        : this.stmt(`SELECT ${cols} FROM audit WHERE command_id = ? ORDER BY id DESC LIMIT ?`).all(options.commandId, limit)
    ) as AuditRow[];
  }

  // ---- housekeeping -------------------------------------------------------------------

  /** The database's size in bytes: its committed pages, whether checkpointed yet or still in the WAL. */
  dbSizeBytes(): number {
    const pages = Number(this.db.pragma('page_count', { simple: true }));
    const size = Number(this.db.pragma('page_size', { simple: true }));
    return pages * size;
  }

  /** Bytes of the file each table and index holds (SQLite's dbstat), by name; for diagnostics and the bench. */
  pageUsage(): Map<string, number> {
    const rows = this.stmt('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name').all() as { name: string; bytes: number }[];
    return new Map(rows.map((r) => [r.name, r.bytes]));
  }

  /** Bytes of free pages in the file: space deleted rows left, which new rows reuse before the file grows. */
  freeBytes(): number {
    return Number(this.db.pragma('freelist_count', { simple: true })) * Number(this.db.pragma('page_size', { simple: true }));
  }

  /** SQLite's integrity (or quick) check plus the store's own invariants; an empty list means sound. */
  integrityCheck(options: { quick?: boolean } = {}): string[] {
    const pragma = options.quick === true ? 'quick_check' : 'integrity_check';
    const problems = (this.db.pragma(pragma) as Record<string, string>[])
      .map((row) => Object.values(row)[0] ?? '')
      .filter((line) => line !== 'ok');
    const maxSeq = (this.stmt('SELECT max(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
    const last = this.lastSeq();
    if (maxSeq > last) problems.push(`events hold seq ${maxSeq} above the high-water mark ${last}: seqs could be reused`);
    const fk = this.db.pragma('foreign_key_check') as unknown[];
    if (fk.length > 0) problems.push(`${fk.length} rows break a foreign key`);
    return problems;
  }

  /** Closes the database; the store is unusable afterwards. */
  close(): void {
    if (!this.db.open) return;
    try {
      this.db.pragma('optimize');
    } catch {
      // A full or read-only disk must not keep the file open at shutdown; optimize is only a hint.
    }
    this.db.close();
  }
}

/** The key of the default schedule's row: no zone name (ZoneName refuses parentheses), so no zone can take it. */
export const DEFAULT_SCHEDULE_KEY = '(default)';

const ScheduleTargetSchema = z.union([ZoneName, z.literal('default')]);

function parseScheduleTarget(target: string): ScheduleTarget {
  return parseUnknown(ScheduleTargetSchema, target, 'schedule target');
}

interface PresetRow {
  name: string;
  schedule: string;
  saved_at: number;
}

/** JSON.stringify's replacer that refuses what it would write as null: a NaN or infinite number is a bug, not a state. */
function refuseNonFinite(key: string, value: unknown): unknown {
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${key === '' ? 'the value' : key} is ${String(value)}`);
  return value;
}

/** Stored JSON, or undefined (which no schema here accepts) when it is not JSON. */
function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
