import { StatementCache, wrapOpened } from '@boiler/service';
import type Database from 'better-sqlite3';
import { z } from 'zod';
import {
  SiteSettings,
  SystemState,
  ZoneState,
  SHORT_CYCLE_S,
  canonicalJson,
  parseUnknown,
  stateDigest,
  type EventEntry,
  type HistoryPoint,
  type ZoneName,
  type ZoneStatsReply,
} from '@boiler/shared';
import {
  INSERT_EVENT_SQL,
  SampleLog,
  ZoneStatsLog,
  eventParams,
  eventQuerySql,
  pruneSampleEvents,
  requireWholeNumber,
  sampleFromEvent,
  type EventQuery,
  type Sample,
} from '@boiler/service';
import type { ReplicaSink } from '../link/agent-link.js';
import { CorruptReplicaRecordError, ReplicaError, ReplicaGapError } from './errors.js';
import { LagWindow, type ReplicaLag } from './lag.js';
import { REPLICA_SCHEMA_VERSION, openReplicaDatabase, replicaSchemaVersion } from './migrations.js';

export interface ReplicaOptions {
  /** The relay's clock (epoch ms), for receive times and lag. */
  now?: () => number;
  /** How many recent events the lag window keeps. */
  lagWindow?: number;
}

/** Counters since the replica was opened, for metrics. */
export interface ReplicaStats {
  /** Events written. */
  eventsApplied: number;
  /** Events offered at or below the applied seq, skipped. */
  eventsSkipped: number;
  /** Samples derived from SAMPLE events and stored. */
  samplesStored: number;
  /** SAMPLE events without a zone or an on/off detail: stored as events, but no sample. */
  samplesUnreadable: number;
}

/** Parses JSON this replica stored, refusing anything its schema does not accept. */
function parseStored<S extends z.ZodType>(schema: S, text: string, what: string): z.output<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new CorruptReplicaRecordError(what, `not JSON (${String(err)})`, { cause: err });
  }
  const result = schema.safeParse(value);
  if (!result.success) throw new CorruptReplicaRecordError(what, z.prettifyError(result.error), { cause: result.error });
  return result.data;
}

/**
 * The relay's read replica of the agent's event log (with the samples and rollups derived from
 * its SAMPLE events) and of the current zone and system state, on its own SQLite file. Each
 * batch of events is applied in one transaction together with the new applied seq, so a crash
 * can neither apply a seq twice nor skip one. This object must be the file's only writer.
 */
export class Replica implements ReplicaSink {
  readonly stats: ReplicaStats = { eventsApplied: 0, eventsSkipped: 0, samplesStored: 0, samplesUnreadable: 0 };
  private readonly statements: StatementCache;
  private readonly samples: SampleLog;
  private readonly dayStats: ZoneStatsLog;
  private readonly lagWindow: LagWindow;
  private readonly now: () => number;
  private applied: number;

  constructor(
    private readonly db: Database.Database,
    options: ReplicaOptions = {},
  ) {
    this.statements = new StatementCache(db);
    const version = replicaSchemaVersion(db);
    if (version !== REPLICA_SCHEMA_VERSION) {
      throw new ReplicaError(`replica is at schema version ${version}, this relay needs ${REPLICA_SCHEMA_VERSION}; open it with Replica.open`);
    }
    this.samples = new SampleLog(db);
    this.dayStats = new ZoneStatsLog(db);
    this.lagWindow = new LagWindow(options.lagWindow);
    this.now = options.now ?? Date.now;
    this.applied = this.readApplied();
  }

  /** Opens (creating if needed) the replica file with its pragmas, brings its schema up to date and wraps it. */
  static open(path: string, options: ReplicaOptions = {}): Replica {
    return wrapOpened(openReplicaDatabase(path), (db) => new Replica(db, options));
  }

  private stmt(sql: string): Database.Statement {
    return this.statements.get(sql);
  }

  private readApplied(): number {
    const row = this.stmt(`SELECT value FROM meta WHERE key = 'applied_seq'`).get() as { value: number } | undefined;
    if (row === undefined) throw new CorruptReplicaRecordError('meta', 'applied_seq is missing');
    return row.value;
  }

  private writeApplied(seq: number): void {
    this.stmt(`UPDATE meta SET value = ? WHERE key = 'applied_seq'`).run(seq);
  }

  // ---- ReplicaSink: the link's write side -------------------------------------------------

  /** The last seq applied durably (0 before the first). */
  appliedSeq(): number {
    return this.applied;
  }

  /**
   * Applies a batch in one transaction: the events above the applied seq (those at or below it
   * are skipped), the samples and rollups of their SAMPLE events, and the new applied seq, which
   * it returns. Each new event must follow the one before it; with `allowGap` (a full sync past
   * pruned history) the first new event may lie beyond applied + 1. A gap throws ReplicaGapError
   * and, like any error, leaves the replica as it was. Events come parsed by the link's codec.
   */
  applyEvents(events: readonly EventEntry[], options: { allowGap?: boolean } = {}): number {
    const allowGap = options.allowGap === true;
    const fresh: EventEntry[] = [];
    let unreadable = 0;
    let stored = 0;
    const applied = this.db
      .transaction(() => {
        const start = this.readApplied();
        let seq = start;
        const insert = this.stmt(INSERT_EVENT_SQL);
        const samples: Sample[] = [];
        for (const e of events) {
          if (e.seq <= seq) continue;
          if (e.seq !== seq + 1 && !(allowGap && seq === start)) throw new ReplicaGapError(seq + 1, e.seq);
          insert.run(...eventParams(e));
          seq = e.seq;
          fresh.push(e);
          if (e.event !== 'SAMPLE') continue;
          const sample = sampleFromEvent(e);
          if (sample === null) unreadable++;
          else samples.push(sample);
        }
        if (seq === start) return start;
        stored = this.samples.record(samples).length;
        this.writeApplied(seq);
        return seq;
      })
      .immediate();
    this.applied = applied;
    this.stats.eventsApplied += fresh.length;
    this.stats.eventsSkipped += events.length - fresh.length;
    this.stats.samplesStored += stored;
    this.stats.samplesUnreadable += unreadable;
    this.lagWindow.record(
      fresh.map((e) => e.ts),
      this.now(),
    );
    return applied;
  }

  /** Stores the latest state of each zone given (the agent sends only zones that changed). */
  applyZones(zones: readonly ZoneState[]): void {
    this.writeZones(zones, false);
  }

  /**
   * Replaces every zone's state with those given, forgetting zones not among them: for a full
   * sync's snapshot, so a zone removed from the agent's configuration leaves the replica (and its
   * digest) too. Not part of ReplicaSink; the link's snapshot handling may call it instead of applyZones.
   */
  replaceZones(zones: readonly ZoneState[]): void {
    this.writeZones(zones, true);
  }

  private writeZones(zones: readonly ZoneState[], replace: boolean): void {
    const parsed = zones.map((z, i) => parseUnknown(ZoneState, z, `zone state ${i}`));
    if (parsed.length === 0 && !replace) return;
    const at = this.now();
    this.db
      .transaction(() => {
        if (replace) this.stmt('DELETE FROM zone_states').run();
        const upsert = this.stmt(
          `INSERT INTO zone_states (zone, state, received_at) VALUES (?, ?, ?)
           ON CONFLICT (zone) DO UPDATE SET state = excluded.state, received_at = excluded.received_at`,
        );
        for (const z of parsed) upsert.run(z.zone, canonicalJson(z), at);
      })
      .immediate();
  }

  /** Stores the latest system state. */
  applySystem(system: SystemState): void {
    const parsed = parseUnknown(SystemState, system, 'system state');
    this.db
      .transaction(() => {
        this.stmt(
          `INSERT INTO system_state (id, state, received_at) VALUES (1, ?, ?)
           ON CONFLICT (id) DO UPDATE SET state = excluded.state, received_at = excluded.received_at`,
        ).run(canonicalJson(parsed), this.now());
      })
      .immediate();
  }

  /**
   * Marks everything up to `seq` as applied: the end of a full sync whose older events the agent
   * no longer keeps. Never lowers the applied seq (a seq once applied names its event for good).
   */
  advanceTo(seq: number): void {
    requireWholeNumber('seq', seq, 0, Number.MAX_SAFE_INTEGER);
    this.applied = this.db
      .transaction(() => {
        const current = this.readApplied();
        if (seq <= current) return current;
        this.writeApplied(seq);
        return seq;
      })
      .immediate();
  }

  /**
   * Forgets every event, raw sample and rollup and sets the applied seq to 0, in one transaction:
   * the start of a full sync from zero when the replica is ahead of the authenticated agent (its
   * database was replaced, or an unauthenticated peer once pushed a seq far ahead). Zone, system
   * and settings rows stay; the sync's snapshot replaces them.
   */
  resetLog(): void {
    this.db
      .transaction(() => {
        for (const table of ['events', 'samples', 'samples_15m', 'samples_1h', 'samples_1d']) this.stmt(`DELETE FROM ${table}`).run();
        this.writeApplied(0);
      })
      .immediate();
    this.applied = 0;
  }

  /**
   * stateDigest over the stored states, to compare with the agent's heartbeat. States are read
   * back through their zod schemas and digested as canonical JSON, so neither key order nor the
   * round trip through the database can make equal states digest differently.
   */
  digest(): string {
    return stateDigest(this.zones(), this.system());
  }

  // ---- read side, for the relay's API -------------------------------------------------------

  /** The same as appliedSeq: the highest seq the replica holds everything up to. */
  lastSeq(): number {
    return this.appliedSeq();
  }

  /** The oldest event held, or null when there is none. */
  oldestSeq(): number | null {
    return (this.stmt('SELECT min(seq) AS seq FROM events').get() as { seq: number | null }).seq;
  }

  /** Every zone's latest state, by zone name. */
  zones(): ZoneState[] {
    const rows = this.stmt('SELECT zone, state FROM zone_states ORDER BY zone').all() as { zone: string; state: string }[];
    return rows.map((r) => parseStored(ZoneState, r.state, `state of zone ${r.zone}`));
  }

  /** A zone's latest state, or null when the agent never sent one. */
  zone(name: ZoneName): ZoneState | null {
    const row = this.stmt('SELECT state FROM zone_states WHERE zone = ?').get(name) as { state: string } | undefined;
    return row === undefined ? null : parseStored(ZoneState, row.state, `state of zone ${name}`);
  }

  /** The latest system state, or null until the agent has sent one. */
  system(): SystemState | null {
    const row = this.stmt('SELECT state FROM system_state WHERE id = 1').get() as { state: string } | undefined;
    return row === undefined ? null : parseStored(SystemState, row.state, 'system state');
  }

  /** Stores the agent's schedules and presets, replacing what was there. */
  applySettings(settings: SiteSettings): void {
    const parsed = parseUnknown(SiteSettings, settings, 'site settings');
    this.stmt(
      `INSERT INTO site_settings (id, settings, received_at) VALUES (1, ?, ?)
       ON CONFLICT (id) DO UPDATE SET settings = excluded.settings, received_at = excluded.received_at`,
    ).run(canonicalJson(parsed), this.now());
  }

  /** The agent's schedules and presets as last received; null until they arrive. */
  settings(): SiteSettings | null {
    const row = this.stmt('SELECT settings FROM site_settings WHERE id = 1').get() as { settings: string } | undefined;
    return row === undefined ? null : parseStored(SiteSettings, row.settings, 'site settings');
  }

  /** Events matching every given filter, newest first, at most `limit` (1 to 2,000; 100 by default): the agent store's query. */
  queryEvents(query: EventQuery = {}): EventEntry[] {
    const q = eventQuerySql(query);
    return q === null ? [] : (this.stmt(q.sql).all(...q.params) as EventEntry[]);
  }

  /** A zone's history over [from, to) in at most `points` points (1 to 2,000): the agent store's query, on the replica. */
  history(zone: ZoneName, from: number, to: number, points: number): HistoryPoint[] {
    return this.samples.history(zone, from, to, points);
  }

  /** The site clock's latest instant this replica speaks for: its newest event's, or null while it has none. */
  knownUntil(): number | null {
    return this.dayStats.lastEventTs();
  }

  /** A zone's statistics per site day over [from, to): the agent store's SQL, counted up to the newest replicated event. */
  zoneStats(zone: string, from: number, to: number, timeZone: string): ZoneStatsReply {
    return this.dayStats.zoneStats({ zone, from, to, timeZone, shortCycleMs: SHORT_CYCLE_S * 1000, knownUntil: this.knownUntil() });
  }

  /** The lag of recently applied events (since this replica was opened). */
  lag(): ReplicaLag {
    return this.lagWindow.snapshot();
  }

  // ---- housekeeping -------------------------------------------------------------------------

  /**
   * Retention of raw samples: deletes up to `maxRows` raw samples taken before `olderThan` and up
   * to `maxRows` of their SAMPLE events, in one short transaction, and returns how many of each
   * went. Rollups stay, so history over the pruned range is still answered; ON/OFF, ALERT and
   * COMMAND events stay too. Call it again while it returns full batches (see ReplicaRetention).
   */
  pruneSamples(olderThan: number, maxRows: number): { samples: number; events: number } {
    return this.db
      .transaction(() => {
        const samples = this.samples.pruneRaw(olderThan, maxRows);
        const events = pruneSampleEvents((sql) => this.stmt(sql), olderThan, maxRows, Number.MAX_SAFE_INTEGER);
        return { samples, events: events.removed };
      })
      .immediate();
  }

  /**
   * Retention of detail: deletes up to `maxRows` events of any kind logged before `olderThan`
   * and up to `maxRows` buckets of the finest rollup tier starting before it, in one short
   * transaction. The applied seq is kept, so nothing is fetched again; the hourly and daily
   * tiers stay, so history over the range is still answered.
   */
  pruneDetail(olderThan: number, maxRows: number): { events: number; rollups: number } {
    return this.db
      .transaction(() => {
        const events = this.stmt('DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE ts < ? ORDER BY ts LIMIT ?)').run(
          olderThan,
          maxRows,
        ).changes;
        const rollups = this.samples.pruneFinestRollup(olderThan, maxRows);
        return { events, rollups };
      })
      .immediate();
  }

  /** SQLite's integrity check plus the replica's own invariant; an empty list means sound. */
  integrityCheck(): string[] {
    const problems = (this.db.pragma('integrity_check') as Record<string, string>[])
      .map((row) => Object.values(row)[0] ?? '')
      .filter((line) => line !== 'ok');
    const maxSeq = (this.stmt('SELECT max(seq) AS seq FROM events').get() as { seq: number | null }).seq ?? 0;
    const applied = this.readApplied();
    if (maxSeq > applied) problems.push(`events hold seq ${maxSeq} above the applied seq ${applied}`);
    return problems;
  }

  /** Closes the database; the replica is unusable afterwards. */
  close(): void {
    if (!this.db.open) return;
    this.db.pragma('optimize');
    this.db.close();
  }
}
