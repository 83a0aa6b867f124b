import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import {
  canonicalJson,
  SHORT_CYCLE_S,
  type Command,
  type CommandBody,
  type CommandResult,
  type EventEntry,
  type HistoryPoint,
  type Preset,
  type SiteSettings,
  type SystemState,
  type WeeklySchedule,
  type ZoneState,
  type ZoneStatsReply,
} from '@boiler/shared';
import { DETAIL_RETENTION_MS, type Logger } from '@boiler/service';
import {
  applyCommand,
  describeUnreadable,
  freshStateKeeping,
  initialState,
  noSettings,
  resumeState,
  savedStateOf,
  settingsOf,
  withSettings,
  newestSwitch,
  stopGapOf,
  upgradeEngineState,
  type AliveMark,
  systemStateOf,
  tick as engineTick,
  zoneStatesOf,
  type EngineConfig,
  type EngineEvent,
  type EngineState,
  type StoredSettings,
  type Instant,
  type Readings,
  type ZoneReadings,
} from './control/index.js';
import { reportableCelsius } from './control/readings.js';
import { alertIds, clearAlert, raiseAlert } from './control/alerts.js';
import { DEFAULT_PENDING_LIMIT, PendingWrites } from './store/pending-writes.js';
import { StorageHealth, type StorageFault } from './store/storage-health.js';
import type { AgentStore } from './store/index.js';
import type { Hardware, IntervalTimer, SensorReading } from './hardware/types.js';
import type { AgentBus } from './bus.js';
import { systemBootClock, type AliveMarks, type BootClock } from './alive-mark.js';
import type { AgentFacade, CommandAnswer, EventQuery, OutboxSource } from './facade.js';

export interface AgentOptions {
  /** A reading older than this (monotonic ms) is stale: a fault, never a temperature. */
  staleAfterMs: number;
  /** Every output is written again this often, in case a relay or a driver lost it. */
  reassertEveryMs: number;
  /** How long a tick waits for a slow sensor poll before deciding on the last readings. */
  pollWaitMs: number;
  /** Events of every kind and the finest rollup tier older than this are pruned (the newest outbox window is always kept). */
  eventRetentionMs: number;
  /** Raw samples (and their SAMPLE events) older than this are pruned; rollups are kept (SAMPLE_RETENTION_DAYS). */
  sampleRetentionMs: number;
  /** The most writes kept in memory while the database refuses them (samples are dropped first past it). */
  pendingLimit: number;
  /** Where the agent leaves a sign of life between saves; null keeps it only in the saved state. */
  aliveMarks: AliveMarks | null;
  /** Real ms between signs of life (at most twice as often, on ticks): a crash's run lengths are recorded to within this. */
  aliveEveryMs: number;
  /** The machine's boot id and monotonic clock, which measure how long a restart took. */
  bootClock: BootClock;
  /** The control loop start() runs (a tick at once, then every `everyMs`) and stop() ends; null: the caller ticks. */
  loop: ControlLoop | null;
}

/** How often the running agent ticks, and on which timer. */
export interface ControlLoop {
  everyMs: number;
  timer: IntervalTimer;
}

export const DEFAULT_AGENT_OPTIONS: AgentOptions = {
  staleAfterMs: 5 * 60_000,
  reassertEveryMs: 30_000,
  pollWaitMs: 250,
  eventRetentionMs: DETAIL_RETENTION_MS,
  sampleRetentionMs: 30 * 24 * 3600_000,
  pendingLimit: DEFAULT_PENDING_LIMIT,
  aliveMarks: null,
  aliveEveryMs: 1000,
  bootClock: systemBootClock(),
  loop: null,
};

const SAMPLE_EVERY_MS = 60_000;
/** Waiting writes stored per tick after the disk recovers, so a day's backlog never stalls one tick. */
const FLUSH_BATCH = 2_000;
/** Raw samples pruned per tick (and as many SAMPLE events), so pruning a backlog never stalls one tick. */
const PRUNE_BATCH = 2_000;
const STATE_KEY = 'system' as const;

/** The agent's own failures in executing a command, which the relay may retry. */
export class CommandStoreError extends Error {
  override readonly name = 'CommandStoreError';
}

/**
 * The running agent: reads sensors and inputs, ticks the pure control engine, persists every
 * state change with its events in one transaction, then drives the relays. Works with no
 * network at all; the API and the relay link only read it and hand it commands.
 */
export class Agent implements AgentFacade, OutboxSource {
  private state: EngineState;
  private readonly options: AgentOptions;
  private readings: Readings = { zones: new Map() };
  private latest = new Map<string, { reading: SensorReading; mono: number }>();
  private polling: Promise<void> | null = null;
  private ticking = false;
  /** The control loop's timer handle while it runs. */
  private loopHandle: unknown = null;
  private lastReassert = Number.NEGATIVE_INFINITY;
  private lastSampleMinute = -1;
  private lastPersistMono = Number.NEGATIVE_INFINITY;
  private zoneCache: ZoneState[] = [];
  /** Set when the state changed outside a tick (a command): the views are worked out for this instant when next read. */
  private viewsDueAt: Instant | null = null;
  private systemCache: SystemState;
  private readonly sensorIds: string[];
  private readonly wiredInputs: ReadonlySet<string>;
  private readonly startedReal = performance.now();
  private lastTickReal = Number.NEGATIVE_INFINITY;
  private stopped = false;
  /** This process among the agent's lives, so its signs of life are matched to the state it saved. */
  private readonly run = randomUUID();
  private lastAliveBoot = Number.NEGATIVE_INFINITY;
  private aliveFailing = false;
  /** Writes the database would not take yet, oldest first; they get their seqs when they reach it. */
  private readonly pending: PendingWrites;
  private readonly storage: StorageHealth;
  /** Outputs whose last write failed, by name: when it first failed and how often since. */
  private readonly outputFaults = new Map<string, { since: number; failures: number; message: string }>();
  /** Unexpected tick failures in a row (a bug, not a disk or output fault), logged once a run. */
  private tickFailures = 0;
  /** Raw samples past the retention window are being pruned, a batch a tick. */
  private pruning = false;
  ticks = 0;

  constructor(
    private readonly config: EngineConfig,
    private readonly store: AgentStore,
    private readonly hardware: Hardware,
    private readonly bus: AgentBus,
    private readonly log: Logger,
    options: Partial<AgentOptions> = {},
    private readonly onTicked: () => void = () => undefined,
  ) {
    this.options = { ...DEFAULT_AGENT_OPTIONS, ...options };
    this.pending = new PendingWrites(this.options.pendingLimit);
    this.storage = new StorageHealth(log);
    const ids = new Set<string>();
    for (const z of config.zones) {
      if (z.room_sensor !== undefined) ids.add(z.room_sensor);
      if (z.pipe_sensor !== undefined) ids.add(z.pipe_sensor);
    }
    if (config.outdoor_sensor !== undefined) ids.add(config.outdoor_sensor);
    this.sensorIds = [...ids];
    this.wiredInputs = new Set(hardware.inputs.inputs());
    this.state = initialState(config, this.instant());
    this.systemCache = systemStateOf(config, this.state, this.readings, this.instant(), hardware.kind);
  }

  /**
   * Loads persisted state (or starts fresh), upgraded to today's layout and with every timer moved
   * onto this process's clock (see resumeState); outputs are derived afresh on the first tick.
   * The schedules and presets come from their tables (a zone they do not name takes the config's)
   * and are written back, so the tables hold exactly what the engine reads from memory.
   * Never throws for what it finds on disk: a state it cannot take up starts fresh, keeping the
   * schedules and presets, with a state_reset alert, so a bad row cannot make a restart loop with
   * the relays released.
   */
  start(): void {
    // The machine's clock is read first: the downtime then ends no later than `now`, so the time
    // spent loading below can only lengthen a timer, never shorten it.
    const boot = this.options.bootClock;
    const bootNow = { id: boot.bootId(), mono: boot.monotonic() };
    const now = this.instant();
    // Outputs are released until the first tick decides; minimum off times then count from the stop.
    // A board that refuses is logged, not thrown: the ticks then drive (or release) each output alone.
    this.safeOutputs();
    let events: EngineEvent[] = [];
    const settings = this.loadSettings();
    try {
      const raw = this.store.loadRuntime(STATE_KEY, z.unknown());
      if (raw === null) {
        this.state = freshStateKeeping(this.config, settings ?? noSettings(), now);
        this.log.info('no saved state: starting fresh, every zone AUTO');
      } else {
        const { state: saved, from } = upgradeEngineState(raw);
        if (from !== saved.version) this.log.info({ from, to: saved.version }, 'saved state upgraded');
        const persisted = withSettings(this.config, saved, settings ?? noSettings());
        // The downtime is real ms; under SIM_SPEED the engine's clock runs faster, so timers then
        // resume a little long, never short.
        const gap = stopGapOf(persisted, this.readAliveMark(), bootNow);
        const resumed = resumeState(this.config, persisted, now, gap);
        this.state = resumed.state;
        events = resumed.events;
        this.log.info({ released: events.length, downtime_ms: gap.downtimeMs }, 'resumed saved state');
      }
    } catch (err) {
      ({ state: this.state, events } = this.resetState(err, settings ?? noSettings(), now));
    }
    // Only over settings that were read: a disk that could not be read must not lose the owner's.
    if (settings !== null) this.guardedWrite('schedules and presets', now, () => this.store.replaceSettings(settingsOf(this.state), now.wall));
    try {
      this.persist(events, now);
    } catch (err) {
      // Control does not need the disk: the state lives in memory and is saved again by the ticks.
      this.log.error({ err }, 'saving state at start failed; running from memory');
    }
    this.markAlive(now);
    this.refreshViews(now);
    this.startLoop();
  }

  /**
   * Ticks at once and then every loop.everyMs until stop(). The ticks' promises are dropped on
   * purpose: tick() never rejects (it catches everything and releases the outputs), and one
   * still running makes the next return at once rather than pile up.
   */
  private startLoop(): void {
    const loop = this.options.loop;
    if (loop === null || this.loopHandle !== null || this.stopped) return;
    this.loopHandle = loop.timer.setInterval(() => void this.tick(), loop.everyMs);
    void this.tick();
  }

  /**
   * The stored schedules and presets; a damaged row is logged and left out (its zone takes the
   * config's schedule). Null when the tables cannot be read at all.
   */
  private loadSettings(): StoredSettings | null {
    try {
      const { settings, unreadable } = this.store.loadSettings();
      if (unreadable.length > 0) this.log.error({ unreadable }, 'stored schedules or presets unreadable: those zones take the config schedule');
      return settings;
    } catch (err) {
      this.log.error({ err }, 'reading the schedules and presets failed; every zone takes the config schedule for this run');
      return null;
    }
  }

  /** A fresh state keeping the stored schedules and presets, with a state_reset alert and its ALERT event. */
  private resetState(err: unknown, settings: StoredSettings, now: Instant): { state: EngineState; events: EngineEvent[] } {
    const reason = describeUnreadable(err);
    const fresh = freshStateKeeping(this.config, settings, now);
    const zoneSchedules = [...settings.zone_schedules.values()].filter((schedule) => schedule !== null).length;
    const kept = `${settings.default_schedule === null ? 'no' : 'the'} default schedule, ${zoneSchedules} zone schedules, ${settings.presets.length} presets`;
    const message = `saved state unreadable (${reason}); started fresh, every zone AUTO, kept ${kept}`.slice(0, 300);
    this.log.error({ err, kept }, 'saved engine state unreadable: starting fresh');
    const alert = { id: 'state_reset', kind: 'state_reset', zone: null, message, raised_at: now.wall, acknowledged: false } as const;
    const event: EngineEvent = {
      ts: now.wall,
      source: 'system',
      zone: null,
      event: 'ALERT',
      room_c: null,
      pipe_c: null,
      outdoor_c: null,
      duration_s: null,
      detail: `state_reset: ${message}`.slice(0, 500),
    };
    return { state: { ...fresh, alerts: [alert] }, events: [event] };
  }

  /** The newest sign of life the last process left, or null; a broken mark file is no reason not to start. */
  private readAliveMark(): AliveMark | null {
    try {
      return this.options.aliveMarks?.read() ?? null;
    } catch (err) {
      this.log.warn({ err }, 'reading the last sign of life failed; downtime unknown');
      return null;
    }
  }

  /** Where this process stands now on every clock, and when it last switched an output of `state`. */
  private aliveMark(now: Instant, state: EngineState = this.state): AliveMark {
    const boot = this.options.bootClock;
    return { run: this.run, boot_id: boot.bootId(), boot_mono: boot.monotonic(), mono: now.mono, wall: now.wall, last_switch: newestSwitch(state) };
  }

  /**
   * Leaves a sign of life on each tick at least half aliveEveryMs of real time after the last. A
   * failed write (a full or read-only disk) is logged once per episode and never stops control:
   * the cost is only that a crash's last run is recorded a little short.
   */
  private markAlive(now: Instant): void {
    const marks = this.options.aliveMarks;
    if (marks === null) return;
    const real = this.options.bootClock.monotonic();
    // Half the period: ticks a period apart, jittered, still mark each time, and fast ticks are capped.
    if (real - this.lastAliveBoot < this.options.aliveEveryMs / 2) return;
    this.lastAliveBoot = real;
    try {
      marks.write(this.aliveMark(now));
      if (this.aliveFailing) this.log.info('sign of life written again');
      this.aliveFailing = false;
    } catch (err) {
      if (!this.aliveFailing) this.log.warn({ err }, 'writing the sign of life failed; control goes on');
      this.aliveFailing = true;
    }
  }

  /**
   * One control step. Never throws. The disk is not needed: a write that fails waits in memory and
   * the outputs are driven all the same (see persist); an output that cannot be written is released
   * alone (see drive). Only an unexpected failure (a bug) puts every output in its safe state.
   */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      await this.poll();
      if (this.stopped) return;
      const now = this.instant();
      this.readings = this.currentReadings(now);
      const result = engineTick(this.config, this.state, this.readings, now);
      const switched = result.events.length > 0;
      // Persist before driving the relays: a crash in between leaves a recorded switch that did
      // not happen (harmless) rather than a switch the minimum-time logic does not know of.
      this.state = result.state;
      if (switched || this.pending.size() > 0 || now.mono - this.lastPersistMono >= 60_000) this.persist(result.events, now);
      this.drive(result.outputs, now);
      this.markAlive(now);
      this.maybeSample(now);
      this.pruneBatch(now);
      this.refreshViews(now);
      this.ticks++;
      this.lastTickReal = performance.now();
      if (this.tickFailures > 0) this.log.warn({ failures: this.tickFailures }, 'control ticks succeed again');
      this.tickFailures = 0;
      this.onTicked();
    } catch (err) {
      // Logged once a run of failures, not every tick.
      if (this.tickFailures++ === 0) this.log.error({ err }, 'control tick failed; outputs to safe state');
      this.safeOutputs();
    } finally {
      this.ticking = false;
    }
  }

  /** Every output to its safe state, the state saved; for shutdown. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.options.loop !== null && this.loopHandle !== null) this.options.loop.timer.clearInterval(this.loopHandle);
    this.loopHandle = null;
    this.safeOutputs();
    const now = this.instant();
    // The last chance to store what waits: tried whatever the backoff says.
    this.flush(now, true, Number.POSITIVE_INFINITY, true);
    const lost = this.pending.size();
    if (lost > 0) this.log.error({ lost, code: this.storage.fault()?.code }, 'writes still waiting at stop are lost');
  }

  // ---- commands -----------------------------------------------------------------------

  /** Executes a command at most once by id, refusing expired or invalid ones without writing anything. */
  execute(command: Command, actor: string): CommandAnswer {
    const hash = paramHash(command);
    let stored: ReturnType<AgentStore['findCommand']>;
    try {
      stored = this.store.findCommand(command.id);
    } catch (err) {
      // A disk that cannot be read cannot tell whether this id already ran: refuse, the relay retries.
      this.log.error({ code: (err as { code?: unknown }).code, error: (err as Error).message, id: command.id }, 'looking up a command failed');
      return { kind: 'refused', code: 'unavailable', message: 'the agent could not read its command log; retry' };
    }
    if (stored !== null) {
      if (stored.paramHash === hash) return { kind: 'done', result: stored.result, replayed: true };
      return { kind: 'refused', code: 'id_conflict', message: `command ${command.id} was already used with other parameters` };
    }
    const now = this.instant();
    if (command.expires_at <= now.wall) {
      return { kind: 'refused', code: 'expired', message: `command expired at ${new Date(command.expires_at).toISOString()}` };
    }
    if (this.stopped) return { kind: 'refused', code: 'unavailable', message: 'agent is stopping' };
    const applied = applyCommand(this.config, this.state, command.body, now);
    if (!applied.ok) {
      return { kind: 'refused', code: applied.error.code, message: applied.error.message };
    }
    let result: CommandResult;
    let events: EventEntry[];
    let earlier = 0;
    try {
      [result, events] = this.store.transaction(() => {
        // What waits from a disk fault goes first, so every event keeps its order (and its seq order).
        const waiting = this.pending.write(this.store);
        earlier = waiting.count;
        this.store.saveRuntime(STATE_KEY, savedStateOf({ ...applied.state, alive: this.aliveMark(now, applied.state) }), now.wall);
        this.saveSettingsChange(command.body, applied.state, now.wall);
        const event = { ...applied.event, detail: `${applied.event.detail ?? ''} [${command.id}]`.trim().slice(0, 500) };
        const run = this.store.recordExecution({ command, paramHash: hash, event, actor, at: now.wall });
        return [run.result, [...waiting.events, run.event]] as const;
      });
    } catch (err) {
      // A command is answered succeeded only once stored (the relay's retries rely on it), so a
      // disk fault refuses it; the fault is the storage episode's, logged once there.
      if (this.storage.fault() === null) this.log.error({ err, id: command.id }, 'command could not be stored; nothing changed');
      this.storageFailed('command', err, now);
      return { kind: 'refused', code: 'unavailable', message: 'the agent could not store the command; retry' };
    }
    this.pending.discard(earlier);
    this.state = applied.state;
    this.storageSucceeded(now);
    this.lastPersistMono = now.mono;
    // The views follow when next read: the answer goes out before they are worked out.
    this.viewsDueAt = now;
    this.bus.emit('events', events);
    // Outputs follow on the next tick, beneath safety; run it now rather than waiting.
    setImmediate(() => void this.tick());
    return { kind: 'done', result, replayed: false };
  }

  /** Writes what a command changed of the schedules and presets to their tables (inside the command's transaction). */
  private saveSettingsChange(body: CommandBody, state: EngineState, at: number): void {
    const scheduleOf = (zone: string) => state.zones.find((z) => z.name === zone)?.schedule ?? null;
    switch (body.type) {
      case 'schedule_set':
        this.store.setSchedule(body.zone, body.zone === 'default' ? state.default_schedule : scheduleOf(body.zone), at);
        return;
      case 'preset_apply':
        for (const zone of body.zones) this.store.setSchedule(zone, scheduleOf(zone), at);
        return;
      case 'preset_save': {
        const preset = state.presets.find((p) => p.name === body.name);
        if (preset !== undefined) this.store.savePreset(preset);
        return;
      }
      case 'preset_delete':
        this.store.deletePreset(body.name);
        return;
      case 'zone_mode':
      case 'setpoint':
      case 'boost':
      case 'clear_override':
      case 'away':
      case 'home':
      case 'alert_ack':
        return;
      default: {
        const unhandled: never = body;
        return unhandled;
      }
    }
  }

  // ---- reads (API and relay link) -----------------------------------------------------

  zones(): ZoneState[] {
    this.catchUpViews();
    return this.zoneCache;
  }

  system(): SystemState {
    this.catchUpViews();
    return this.systemCache;
  }

  events(query: EventQuery): EventEntry[] {
    return this.store.queryEvents(query);
  }

  history(zone: string, from: number, to: number, points: number): HistoryPoint[] {
    return this.store.history(zone, from, to, points);
  }

  zoneStats(zone: string, from: number, to: number): ZoneStatsReply {
    return this.store.zoneStats({ zone, from, to, timeZone: this.systemCache.time_zone, shortCycleMs: SHORT_CYCLE_S * 1000, knownUntil: this.now() });
  }

  schedules(): { zone: string; schedule: WeeklySchedule }[] {
    return [
      { zone: 'default', schedule: this.state.default_schedule },
      ...this.state.zones.filter((z) => z.schedule !== null).map((z) => ({ zone: z.name, schedule: z.schedule as WeeklySchedule })),
    ];
  }

  presets(): Preset[] {
    return this.state.presets;
  }

  /** Schedules and presets as the relay keeps them. */
  settings(): SiteSettings {
    return {
      default_schedule: this.state.default_schedule,
      zone_schedules: this.state.zones.filter((z) => z.schedule !== null).map((z) => ({ zone: z.name, schedule: z.schedule as WeeklySchedule })),
      presets: this.state.presets,
    };
  }

  health(): ReturnType<AgentFacade['health']> {
    const mem = process.memoryUsage();
    const now = performance.now();
    // Real time, not the (possibly simulated) control clock: a loop silent for 30 s is stuck.
    const loopAlive = now - this.lastTickReal < 30_000;
    const reasons: string[] = [];
    if (!loopAlive) reasons.push('control loop has not ticked for 30 s');
    if (this.stopped) reasons.push('stopping');
    const fault = this.storage.fault();
    const dropped = this.pending.dropped;
    if (fault !== null) {
      reasons.push(
        `storage_fault: ${fault.code} (${fault.message}) since ${new Date(fault.since).toISOString()}, ` +
          `${fault.failures} failed writes, ${this.pending.size()} waiting in memory, ${dropped.samples + dropped.events} dropped`,
      );
    }
    for (const [output, f] of this.outputFaults) reasons.push(`output_fault: ${output} (${f.message}), ${f.failures} failed writes`);
    let dbSize = -1;
    try {
      dbSize = this.store.dbSizeBytes();
    } catch {
      // An unreadable disk shows as -1 here; the reason above says why.
    }
    return {
      status: reasons.length === 0 ? 'ok' : 'degraded',
      reasons,
      uptime: Math.round((now - this.startedReal) / 1000),
      db_size: dbSize,
      memory: { rss: mem.rss, heap_used: mem.heapUsed },
      storage: { ok: fault === null, pending: this.pending.size(), dropped: { ...dropped } },
    };
  }

  now(): number {
    return this.hardware.clock.now();
  }

  lastSeq(): number {
    return this.store.lastSeq();
  }

  /** The oldest seq from which the log has every event (raw SAMPLE events are pruned before other kinds). */
  oldestSeq(): number {
    return this.store.completeFromSeq() ?? 0;
  }

  eventsAfter(afterSeq: number, limit: number): EventEntry[] {
    return this.store.eventsAfter(afterSeq, limit);
  }

  get simulator(): AgentFacade['simulator'] {
    return this.hardware.simulator;
  }

  /** The engine state, for tests and diagnostics. */
  engineState(): EngineState {
    return this.state;
  }

  // ---- internals ----------------------------------------------------------------------

  private instant(): Instant {
    return { wall: this.hardware.clock.now(), mono: this.hardware.clock.monotonic() };
  }

  /** Reads the sensors, waiting at most pollWaitMs: a slow 1-wire bus must not stall control. */
  private async poll(): Promise<void> {
    if (this.polling === null) {
      this.polling = this.hardware.sensors
        .readAll(this.sensorIds)
        .then((readings) => {
          const mono = this.hardware.clock.monotonic();
          for (const [id, reading] of readings) this.latest.set(id, { reading, mono });
        })
        .catch((err: unknown) => this.log.error({ err }, 'sensor poll failed'))
        .finally(() => {
          this.polling = null;
        });
    }
    const current = this.polling;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([current, new Promise<void>((r) => (timer = setTimeout(r, this.options.pollWaitMs)))]);
    clearTimeout(timer);
  }

  private sensor(id: string | undefined, now: Instant): SensorReading | undefined {
    if (id === undefined) return undefined;
    const l = this.latest.get(id);
    if (l === undefined) return undefined;
    if (now.mono - l.mono > this.options.staleAfterMs) {
      return { ok: false, fault: 'stale', detail: `no reading for ${Math.round((now.mono - l.mono) / 1000)} s`, at: l.reading.at };
    }
    return l.reading;
  }

  private currentReadings(now: Instant): Readings {
    const zones = new Map<string, ZoneReadings>();
    for (const z of this.config.zones) {
      zones.set(z.name, {
        room: this.sensor(z.room_sensor, now),
        pipe: this.sensor(z.pipe_sensor, now),
        call_for_heat: z.thermostat_input === undefined ? undefined : this.readInput(z.thermostat_input),
      });
    }
    return {
      zones,
      outdoor: this.sensor(this.config.outdoor_sensor, now),
      burner: this.config.burner_input === undefined ? undefined : this.readInput(this.config.burner_input),
    };
  }

  private readInput(name: string): boolean | undefined {
    if (!this.wiredInputs.has(name)) return undefined;
    try {
      return this.hardware.inputs.read(name);
    } catch (err) {
      this.log.warn({ err, input: name }, 'input read failed');
      return undefined;
    }
  }

  /**
   * Writes each output, each in its own try: one output that cannot be written (a GPIO write
   * failing) must not stop the others, freeze protection least of all. A failed output is released
   * alone, alerted once, and written again every tick until it takes.
   */
  private drive(outputs: ReadonlyMap<string, boolean>, now: Instant): void {
    const reassert = now.mono - this.lastReassert >= this.options.reassertEveryMs;
    if (reassert) this.lastReassert = now.mono;
    for (const [name, on] of outputs) {
      try {
        if (reassert || this.hardware.relays.get(name) !== on) this.hardware.relays.set(name, on);
      } catch (err) {
        this.outputFailed(name, on, err, now);
        continue;
      }
      if (this.outputFaults.has(name)) this.outputRecovered(name, now);
    }
  }

  private outputFailed(name: string, on: boolean, err: unknown, now: Instant): void {
    const message = (err instanceof Error ? err.message : String(err)).slice(0, 150);
    const known = this.outputFaults.get(name);
    if (known !== undefined) known.failures++;
    else {
      this.outputFaults.set(name, { since: now.wall, failures: 1, message });
      this.log.error({ output: name, on, error: message }, 'output write failed; that output is released, the others go on');
      this.raise({ id: alertIds.output(name), kind: 'output_fault', zone: this.zoneOfOutput(name), message: `output ${name} cannot be written: ${message}` }, now);
    }
    // Released is the output's safe state; an energised output nobody can switch off is the worse
    // fault (a boiler firing into a closed loop). If the release fails too, nothing more can be done here.
    if (!on) return;
    try {
      this.hardware.relays.set(name, false);
    } catch {
      // Already alerted.
    }
  }

  private outputRecovered(name: string, now: Instant): void {
    const fault = this.outputFaults.get(name);
    this.outputFaults.delete(name);
    this.log.warn({ output: name, failures: fault?.failures, lasted_ms: fault === undefined ? null : now.wall - fault.since }, 'output writes succeed again');
    this.clear(alertIds.output(name));
  }

  private zoneOfOutput(output: string): string | null {
    return this.config.zones.find((z) => z.output === output)?.name ?? null;
  }

  /** Raises an alert the engine does not raise itself (storage, outputs); its ALERT event waits with the other writes. */
  private raise(alert: { id: string; kind: 'storage_fault' | 'output_fault'; zone: string | null; message: string }, now: Instant): void {
    const raised = raiseAlert(this.state.alerts, alert, now.wall);
    if (raised === null) return;
    this.state = { ...this.state, alerts: raised.alerts };
    this.queueEvents([raised.event]);
  }

  private clear(id: string): void {
    const alerts = clearAlert(this.state.alerts, id);
    if (alerts === null) return;
    this.state = { ...this.state, alerts };
    // The cleared list is saved on the next tick.
    this.lastPersistMono = Number.NEGATIVE_INFINITY;
  }

  private safeOutputs(): void {
    try {
      this.hardware.relays.safeState();
    } catch (err) {
      this.log.fatal({ err }, 'could not put outputs in their safe state');
    }
  }

  /**
   * Saves the engine state with the tick's events (and whatever waits from a disk fault, oldest
   * first) in one transaction. Never throws: when the database refuses, the events wait in memory
   * (bounded), the state lives on in memory, and both are written on a later tick once the
   * retry's backoff has passed. Control never waits for this.
   */
  private persist(events: readonly EngineEvent[], now: Instant): void {
    this.queueEvents(events);
    this.flush(now, true);
  }

  /** Puts events in the waiting line; a malformed one (a bug) is logged and dropped rather than blocking the line. */
  private queueEvents(events: readonly EngineEvent[]): void {
    if (events.length === 0) return;
    const problems = this.pending.pushEvents(events);
    if (problems.length > 0) this.log.error({ problems }, 'events the store would never accept were dropped');
  }

  /**
   * Writes up to `max` waiting writes (and the engine state when `saveState`) in one transaction,
   * through guardedWrite; true when it went through. `force` ignores the retry backoff.
   */
  private flush(now: Instant, saveState: boolean, max = FLUSH_BATCH, force = false): boolean {
    if (!saveState && this.pending.size() === 0) return true;
    const written = this.guardedWrite(
      saveState ? 'engine state and events' : 'samples',
      now,
      () =>
        this.store.transaction(() => {
          if (saveState) this.store.saveRuntime(STATE_KEY, savedStateOf({ ...this.state, alive: this.aliveMark(now) }), now.wall);
          return this.pending.write(this.store, max);
        }),
      force,
    );
    if (written === undefined) return false;
    this.pending.discard(written.count);
    if (saveState) this.lastPersistMono = now.mono;
    if (written.events.length > 0) this.bus.emit('events', written.events);
    return true;
  }

  /**
   * Runs one write on the agent's database and never throws: a failure starts (or extends) a
   * storage episode, with one log line and the storage_fault alert, and undefined is returned;
   * the first success after it ends the episode and clears the alert. While an episode lasts the
   * write is only tried once its backoff has passed (undefined, nothing run), unless `force`.
   * Every recurring writer of the database goes through here, so a full or read-only disk costs
   * one attempt per backoff, not a stack trace per tick.
   */
  guardedWrite<T>(what: string, now: Instant, write: () => T, force = false): T | undefined {
    const wasFaulty = this.storage.fault() !== null;
    const outcome = this.storage.attempt(what, now, write, force);
    if (!outcome.ok) {
      if (!wasFaulty && this.storage.fault() !== null) this.storageEpisodeStarted(now);
      return undefined;
    }
    if (outcome.recovered !== null) this.storageEpisodeEnded(outcome.recovered, now);
    return outcome.value;
  }

  /** Reports a write that failed outside guardedWrite (a command's). */
  private storageFailed(what: string, err: unknown, now: Instant): void {
    const wasFaulty = this.storage.fault() !== null;
    this.storage.failed(what, err, now);
    if (!wasFaulty) this.storageEpisodeStarted(now);
  }

  /** Reports a write that went through outside guardedWrite (a command's). */
  private storageSucceeded(now: Instant): void {
    const ended = this.storage.succeeded();
    if (ended !== null) this.storageEpisodeEnded(ended, now);
  }

  private storageEpisodeStarted(now: Instant): void {
    const fault = this.storage.fault();
    if (fault === null) return;
    this.raise(
      {
        id: alertIds.storage,
        kind: 'storage_fault',
        zone: null,
        message: `the database refuses writes (${fault.code}: ${fault.message}); heating goes on from memory, events wait and are retried`,
      },
      now,
    );
  }

  /** The one log line of an episode's end: how long, how many failed writes, what still waits and what was dropped. */
  private storageEpisodeEnded(fault: StorageFault, now: Instant): void {
    const dropped = this.pending.dropped;
    this.log.warn(
      { code: fault.code, failures: fault.failures, lasted_ms: now.wall - fault.since, waiting: this.pending.size(), dropped_samples: dropped.samples, dropped_events: dropped.events },
      'storage writes succeed again; waiting writes follow in order',
    );
    this.clear(alertIds.storage);
  }

  /** One SAMPLE per zone at each new minute of site time. */
  private maybeSample(now: Instant): void {
    const minute = Math.floor(now.wall / SAMPLE_EVERY_MS);
    if (minute === this.lastSampleMinute) return;
    this.lastSampleMinute = minute;
    // Stamped when read, not rounded to the minute, so a sample's age on the relay is its true lag.
    const ts = now.wall;
    const outdoor = reportableCelsius(this.readings.outdoor);
    // The setpoint each tile shows after this tick (null for on/off zones and modes without one),
    // so the history's setpoint line is what was in force, not the schedule's intent alone.
    const setpoints = new Map(zoneStatesOf(this.config, this.state, this.readings, now).map((v) => [v.zone, v.setpoint_c]));
    const samples = this.config.zones.map((z) => {
      const r = this.readings.zones.get(z.name);
      return {
        zone: z.name,
        ts,
        room_c: reportableCelsius(r?.room),
        pipe_c: reportableCelsius(r?.pipe),
        outdoor_c: outdoor,
        output: this.state.zones.find((s) => s.name === z.name)?.output.on ?? false,
        setpoint_c: setpoints.get(z.name) ?? null,
      };
    });
    const problems = this.pending.pushSamples(samples);
    if (problems.length > 0) this.log.error({ problems }, 'samples the store would never accept were dropped');
    this.flush(now, false);
    if (minute % 60 === 0) this.pruning = true;
  }

  /**
   * Retention, a batch a tick while there is a backlog (a year's samples after an upgrade take
   * many ticks, none of them long): raw samples and their SAMPLE events past the sample window,
   * then events of every kind past the event window. Rollups stay. Freed pages are reused by
   * new rows, so the file stops growing once it is past the window.
   */
  private pruneBatch(now: Instant): void {
    if (!this.pruning || this.pending.size() > 0) return;
    const removed = this.guardedWrite('pruning', now, () => ({
      samples: this.store.pruneSamples(now.wall - this.options.sampleRetentionMs, PRUNE_BATCH),
      events: this.store.pruneEvents(0, { olderThan: now.wall - this.options.eventRetentionMs, maxRows: PRUNE_BATCH }),
      rollups: this.store.pruneFinestRollup(now.wall - this.options.eventRetentionMs, PRUNE_BATCH),
    }));
    if (removed === undefined) return;
    if (removed.samples.samples + removed.samples.events + removed.events + removed.rollups > 0) {
      this.log.debug({ samples: removed.samples.samples, sample_events: removed.samples.events, events: removed.events, rollups: removed.rollups }, 'pruned');
    }
    const full = [removed.samples.samples, removed.samples.events, removed.events, removed.rollups].some((n) => n >= PRUNE_BATCH);
    if (!full) this.pruning = false;
  }

  /** Works out the views a command left due (see execute). */
  private catchUpViews(): void {
    if (this.viewsDueAt !== null) this.refreshViews(this.viewsDueAt);
  }

  private refreshViews(now: Instant): void {
    this.viewsDueAt = null;
    const zones = zoneStatesOf(this.config, this.state, this.readings, now);
    const system = systemStateOf(this.config, this.state, this.readings, now, this.hardware.kind);
    this.zoneCache = zones;
    this.systemCache = system;
  }
}


/** What makes two commands with one id "the same": the body they ask for. */
export function paramHash(command: Command): string {
  return createHash('sha256').update(canonicalJson(command.body)).digest('hex');
}
