import { randomUUID } from 'node:crypto';
import { DEFAULT_COMMAND_TTL_MS, canonicalJson, parseUnknown, type CommandError, type CommandResult } from '@boiler/shared';
import { commandTraceOn, monotonicMicros, traceCommand, type Logger } from '@boiler/service';
import { CommandConflictError, CommandNotFoundError, CommandStateError } from './errors.js';
import {
  ClientIdentity,
  CommandRequest,
  RELAY_CLIENT,
  commandLatencyMs,
  isFinal,
  wireCommand,
  type AuditAction,
  type AuditEntry,
  type ListQuery,
  type QueueCounts,
  type QueuedCommand,
} from './record.js';
import type { CommandQueueStore, NewQueuedCommand } from './store.js';
import type { CommandTransport } from './transport.js';

/** Wall-clock time in epoch ms: expiries and stored times are wall time, as on the agent. */
export interface QueueClock {
  now(): number;
}

export interface CommandQueueOptions {
  /** How long a sent command waits for its answer before it counts as a failed attempt (COMMAND_TIMEOUT). */
  timeoutMs: number;
  /** Sends before a command goes to the dead-letter list. */
  maxAttempts: number;
  /** The wait after the first failed attempt; it doubles with each further one. */
  backoffBaseMs: number;
  /** The expiry of a command whose sender named none, from when the relay accepts it. */
  defaultTtlMs: number;
}

export const DEFAULT_COMMAND_QUEUE_OPTIONS: CommandQueueOptions = {
  timeoutMs: 30_000,
  maxAttempts: 3,
  backoffBaseMs: 1000,
  defaultTtlMs: DEFAULT_COMMAND_TTL_MS,
};

/** Refusals that say "not now" rather than "no": the agent did not act, and the same command may work later. */
export const RETRYABLE_ERROR_CODES: readonly string[] = ['unavailable', 'internal', 'timeout'];

/** Listens to the queue: the API pushes changes to the UIs, the metrics observe latencies. */
export interface CommandQueueListener {
  /** A command was accepted or changed; `command` is what is now stored. */
  changed?(command: QueuedCommand, action: AuditAction): void;
  /** A command reached succeeded, failed, expired or dead from queued or sent: enqueue to final, in ms. */
  finished?(command: QueuedCommand, latencyMs: number): void;
}

export interface EnqueueResult {
  /** The command as stored now (a repeat of an earlier POST: as it stands now, in whatever state). */
  command: QueuedCommand;
  /** False when the id was already queued with the same body: nothing new was stored. */
  created: boolean;
}

/** A sent command waiting for its answer: the timer for it and which attempt it waits on. */
interface InFlight {
  timer: NodeJS.Timeout;
  attempt: number;
}

/** Commands read per store query when walking a state. */
const PAGE = 200;
/** The longest delay setTimeout takes; a later expiry is looked at again after this. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The relay's durable command queue. A command is committed to the store before enqueue returns,
 * goes out in arrival order whenever the link is up, waits `timeoutMs` for its answer, is retried
 * with exponential backoff up to `maxAttempts` sends and then moved to the dead-letter list
 * (state `dead`). Retrying is safe because the agent runs each id at most once and answers a
 * repeat with its stored result. Timers run only between start() and stop().
 *
 * Ordering: a command waiting out a retry's backoff holds back the ones that arrived after it (a
 * second or two), so a later command for the same zone can never be overtaken by an earlier one.
 *
 * Expiry: a command never sent is expired by the relay at its expiry and never sent. One sent
 * before, whose answer was lost, is sent again even after its expiry: the agent answers with its
 * stored result if it ran it, or refuses it as expired, so the UI learns what really happened.
 */
export class CommandQueue {
  private readonly options: CommandQueueOptions;
  private readonly listeners = new Set<CommandQueueListener>();
  private readonly inFlight = new Map<string, InFlight>();
  private wakeTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private started = false;
  private pumping = false;
  private pumpAgain = false;
  /** What the queue last wrote to its store (it is the store's only writer): that command as it stands until the next write. */
  private lastWrite: QueuedCommand | undefined;

  constructor(
    private readonly store: CommandQueueStore,
    private readonly transport: CommandTransport,
    private readonly clock: QueueClock,
    options: Partial<CommandQueueOptions>,
    private readonly log: Logger,
    listener?: CommandQueueListener,
  ) {
    this.options = { ...DEFAULT_COMMAND_QUEUE_OPTIONS, ...options };
    if (listener !== undefined) this.listeners.add(listener);
  }

  /** Adds a listener; returns the function that removes it. */
  listen(listener: CommandQueueListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Requeues what a crash left sent, subscribes to the link and sends what is due. */
  start(): void {
    if (this.started) return;
    this.started = true;
    this.guard('recovering sent commands', () => this.recoverSent());
    this.unsubscribe = this.transport.listen({
      commandResult: (result) => this.guard('handling a command result', () => this.onResult(result)),
      connected: () => this.pump(),
      disconnected: () => this.guard('handling a link drop', () => this.onDisconnected()),
    });
    this.pump();
  }

  /** Stops timers and listening. Sent commands stay `sent` in the store; the next start() requeues them. */
  stop(): void {
    this.started = false;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    for (const f of this.inFlight.values()) clearTimeout(f.timer);
    this.inFlight.clear();
  }

  /**
   * Stores a command and returns it (sent already if the link is up); it is on the disk once
   * durable() resolves, which the caller awaits before it answers. A repeated id with the same
   * body returns the stored one; with another body it throws CommandConflictError. A request that
   * fails its schema throws a ValidationError.
   */
  enqueue(input: CommandRequest, client: string): EnqueueResult {
    const request = parseUnknown(CommandRequest, input, 'command request');
    const who = parseUnknown(ClientIdentity, client, 'client identity');
    const id = request.id ?? randomUUID();
    traceCommand(this.log, id, 'accepted');
    const existing = this.store.get(id);
    if (existing !== null) {
      if (canonicalJson(existing.body) !== canonicalJson(request.body)) throw new CommandConflictError(id);
      return { command: existing, created: false };
    }
    const now = this.clock.now();
    const command: NewQueuedCommand = {
      id,
      body: request.body,
      created_at: request.created_at ?? now,
      expires_at: request.expires_at ?? now + this.options.defaultTtlMs,
      issued_by: request.issued_by ?? null,
      client: who,
      accepted_at: now,
      state: 'queued',
      attempts: 0,
      next_attempt_at: now,
      sent_at: null,
      last_error: null,
      result: null,
      finished_at: null,
      discarded_at: null,
      updated_at: now,
    };
    const accepted: AuditEntry = {
      ts: now,
      command_id: id,
      client: who,
      action: 'accepted',
      detail: `${request.body.type}, expires ${new Date(command.expires_at).toISOString()}`,
    };
    if (this.canSendAtOnce(command, now)) {
      const sent = this.acceptAndSend(command, accepted, now);
      return { command: this.storedNow(sent), created: true };
    }
    const stored = this.wrote(this.store.insert(command, accepted));
    traceCommand(this.log, id, 'stored');
    this.log.debug({ id, type: request.body.type, client: who }, 'command accepted');
    this.emit(stored, 'accepted', 'queued');
    this.pump();
    return { command: this.storedNow(stored), created: true };
  }

  /**
   * A command as stored now, after listeners and sends that may have changed it since `written`:
   * without a read when the queue (the store's only writer) has written nothing since.
   */
  private storedNow(written: QueuedCommand): QueuedCommand {
    if (this.lastWrite === written) return written;
    return this.store.get(written.id) ?? written;
  }

  private wrote(command: QueuedCommand): QueuedCommand {
    this.lastWrite = command;
    return command;
  }

  /**
   * Resolves once everything the queue has stored so far is on the disk: an API answers a command
   * accepted (or retried, or discarded) only after this, so a power cut cannot take it back.
   */
  durable(): Promise<void> {
    return this.store.durable();
  }

  get(id: string): QueuedCommand | null {
    return this.store.get(id);
  }

  /** Commands newest first (100 unless `limit` says, at most 1000); discarded dead ones only if asked. */
  list(query: Partial<ListQuery> = {}): QueuedCommand[] {
    const asked = query.limit !== undefined && Number.isFinite(query.limit) ? Math.floor(query.limit) : 100;
    const limit = Math.max(1, Math.min(1000, asked));
    return this.store.list({ ...query, limit });
  }

  counts(): QueueCounts {
    return this.store.counts();
  }

  /** A command's audit trail, oldest first. */
  auditTrail(id: string): AuditEntry[] {
    return this.store.auditTrail(id);
  }

  /** Puts a dead or failed command back in the queue with its attempts reset, for the owner. */
  retry(id: string, client: string): QueuedCommand {
    const who = parseUnknown(ClientIdentity, client, 'client identity');
    const command = this.require(id);
    if (command.state !== 'dead' && command.state !== 'failed') throw new CommandStateError(id, command.state, 'retry', ['dead', 'failed']);
    const now = this.clock.now();
    const requeued = this.transition(
      command,
      { state: 'queued', attempts: 0, next_attempt_at: now, result: null, finished_at: null, discarded_at: null },
      'requeued',
      `retry asked for; was ${command.state}`,
      who,
    );
    this.log.info({ id, was: command.state, client: who }, 'command requeued by the owner');
    this.pump();
    return this.store.get(id) ?? requeued;
  }

  /**
   * Takes a dead command off the dead-letter list. It is kept, still `dead`, with `discarded_at`
   * set: list() leaves it out unless asked, counts() counts it as discarded, get() and a repeated
   * POST of its id still find it, and retry() can still bring it back.
   */
  discard(id: string, client: string): QueuedCommand {
    const who = parseUnknown(ClientIdentity, client, 'client identity');
    const command = this.require(id);
    if (command.state !== 'dead') throw new CommandStateError(id, command.state, 'discard', ['dead']);
    if (command.discarded_at !== null) return command;
    return this.transition(command, { discarded_at: this.clock.now() }, 'discarded', null, who);
  }

  // ---- dispatch ---------------------------------------------------------------------------

  /**
   * Whether a new command can go straight out rather than through a pass of the queue: the link
   * is up, no pass is running, and nothing is queued ahead of it (due or waiting out a backoff),
   * which it must not overtake.
   */
  private canSendAtOnce(command: NewQueuedCommand, now: number): boolean {
    return this.started && !this.pumping && this.transport.connected && command.expires_at > now && this.store.inState('queued', { limit: 1 }).length === 0;
  }

  /**
   * Stores a new command already marked as its first send, the accept and the send audited in one
   * transaction, then hands it to the link: the same rows and changes as accepting it and then
   * dispatching it, with one commit fewer on the way to the agent. The command is committed before
   * anything goes out, and the fsync of that commit runs while the link takes it to the agent; the
   * caller answers once it is done (durable()). The link has it before the listeners hear of it, so
   * pushing the change to the UIs runs while the agent works on it rather than before.
   */
  private acceptAndSend(command: NewQueuedCommand, accepted: AuditEntry, now: number): QueuedCommand {
    const sentRow: NewQueuedCommand = { ...command, state: 'sent', attempts: 1, sent_at: now, next_attempt_at: null };
    const sent = this.wrote(this.store.insert(sentRow, [accepted, { ts: now, command_id: command.id, client: RELAY_CLIENT, action: 'sent', detail: 'attempt 1' }]));
    traceCommand(this.log, command.id, 'stored');
    this.log.debug({ id: command.id, type: command.body.type, client: command.client }, 'command accepted');
    const handed = this.handOver(sent);
    this.emit({ ...sent, state: 'queued', attempts: 0, sent_at: null, next_attempt_at: now }, 'accepted', 'queued');
    this.emit(sent, 'sent', 'queued');
    // A listener that stopped the queue leaves the command sent in the store; the next start() requeues it.
    if (!handed && this.started) {
      this.takeBack(sent, command, now);
      // Back in the queue: as a pass that could not send, look again shortly (connected() normally comes first).
      this.wake(Math.min(command.expires_at, now + this.options.backoffBaseMs));
    }
    return sent;
  }

  /** Sends what is due, expires what may no longer go, and sets the timer for the next of either. */
  private pump(): void {
    if (!this.started) return;
    if (this.pumping) {
      // A send, an answer or a listener came back into the queue: finish this pass, then go again.
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        this.pumpOnce();
      } while (this.pumpAgain && this.started);
    } catch (err) {
      this.log.error({ err }, 'command dispatch failed; trying again shortly');
      this.wake(this.clock.now() + this.options.backoffBaseMs);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const now = this.clock.now();
    let blocked = !this.transport.connected;
    let wakeAt = Infinity;
    let after = 0;
    for (;;) {
      const page = this.store.inState('queued', { afterArrival: after, limit: PAGE });
      for (const command of page) {
        if (!this.started) return; // a listener stopped the queue mid-pass
        after = command.arrival;
        if (command.sent_at === null) {
          if (command.expires_at <= now) {
            this.expire(command, now);
            continue;
          }
          wakeAt = Math.min(wakeAt, command.expires_at);
        }
        if (blocked) continue;
        const due = command.next_attempt_at ?? now;
        if (due > now) {
          // Later arrivals wait behind it, so they cannot overtake it.
          blocked = true;
          wakeAt = Math.min(wakeAt, due);
          continue;
        }
        if (!this.dispatch(command, now)) {
          blocked = true;
          // connected() normally wakes us; look again in case the link says up but cannot send.
          wakeAt = Math.min(wakeAt, now + this.options.backoffBaseMs);
        }
      }
      if (page.length < PAGE) break;
    }
    if (wakeAt !== Infinity) this.wake(wakeAt);
  }

  private wake(at: number): void {
    if (!this.started) return;
    clearTimeout(this.wakeTimer);
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, at - this.clock.now()));
    this.wakeTimer = setTimeout(() => this.pump(), delay);
  }

  /** Marks the command sent (durably) and hands it to the link; false if it could not go out. */
  private dispatch(command: QueuedCommand, now: number): boolean {
    const attempt = command.attempts + 1;
    const sent = this.transition(command, { state: 'sent', attempts: attempt, sent_at: now, next_attempt_at: null }, 'sent', `attempt ${attempt}`);
    if (this.handOver(sent)) return true;
    this.takeBack(sent, command, now);
    return false;
  }

  /** Hands a command stored as sent to the link and starts waiting for its answer; false if it could not go out. */
  private handOver(sent: QueuedCommand): boolean {
    this.awaitAnswer(sent.id, sent.attempts);
    let ok: boolean;
    // Stamped before the hand-off: the agent may well have the frame before send() returns here.
    const handedUs = commandTraceOn(this.log) ? monotonicMicros() : undefined;
    try {
      ok = this.transport.send(wireCommand(sent));
    } catch (err) {
      this.log.error({ err, id: sent.id }, 'sending a command threw');
      ok = false;
    }
    if (ok) {
      traceCommand(this.log, sent.id, 'sent', handedUs);
      this.log.debug({ id: sent.id, attempt: sent.attempts }, 'command sent');
      return true;
    }
    this.clearInFlight(sent.id);
    return false;
  }

  /**
   * Nothing went out, so this was no attempt: puts a command handOver could not send back as it
   * was `before` this attempt, unless an answer somehow came meanwhile.
   */
  private takeBack(sent: QueuedCommand, before: Pick<QueuedCommand, 'attempts' | 'sent_at'>, now: number): void {
    const current = this.store.get(sent.id);
    if (current !== null && current.state === 'sent' && current.attempts === sent.attempts) {
      this.transition(current, { state: 'queued', attempts: before.attempts, sent_at: before.sent_at, next_attempt_at: now }, 'requeued', 'the link could not take it');
    }
  }

  private awaitAnswer(id: string, attempt: number): void {
    this.clearInFlight(id);
    const timer = setTimeout(() => this.guard('timing out a command', () => this.onTimeout(id, attempt)), this.options.timeoutMs);
    this.inFlight.set(id, { timer, attempt });
  }

  private clearInFlight(id: string): void {
    const f = this.inFlight.get(id);
    if (f === undefined) return;
    clearTimeout(f.timer);
    this.inFlight.delete(id);
  }

  private onTimeout(id: string, attempt: number): void {
    const f = this.inFlight.get(id);
    if (f?.attempt === attempt) this.inFlight.delete(id);
    const command = this.store.get(id);
    if (command === null || command.state !== 'sent' || command.attempts !== attempt) return;
    this.retryOrBury(command, { code: 'timeout', message: `no answer from the agent within ${this.options.timeoutMs} ms` });
    this.pump();
  }

  private onDisconnected(): void {
    for (const command of this.allInState('sent')) {
      this.retryOrBury(command, { code: 'link_down', message: 'the link to the agent closed before the answer came' });
    }
    this.pump();
  }

  /** On start: whatever a crash (or a stop) left sent goes back to the queue, the lost send counted, to go again at once. */
  private recoverSent(): void {
    for (const command of this.allInState('sent')) {
      this.retryOrBury(command, { code: 'relay_restarted', message: 'the relay stopped before the answer came' }, 0);
    }
  }

  private onResult(result: CommandResult): void {
    // Usually the command just sent: what the queue last wrote, with no read (and parse) of it.
    const command = this.lastWrite?.id === result.id ? this.lastWrite : this.store.get(result.id);
    if (command === null) {
      this.log.warn({ id: result.id, outcome: result.outcome }, 'result for a command the queue does not hold; ignored');
      return;
    }
    const retryable = result.outcome === 'failed' && RETRYABLE_ERROR_CODES.includes(result.error?.code ?? '');
    if (command.state === 'sent') {
      this.clearInFlight(command.id);
      if (retryable) this.retryOrBury(command, result.error ?? { code: 'unavailable', message: 'the agent could not take it' });
      else this.finish(command, result, null);
      this.pump();
      return;
    }
    // An answer to an earlier attempt that came after we gave up waiting for it. An execution (or
    // an expiry refusal) is permanent on the agent, so it is the truth about the command: take it.
    // Any other answer may be stale, and is ignored like the duplicates retries produce.
    const permanent = result.outcome === 'succeeded' || result.outcome === 'expired';
    const awaiting = (command.state === 'queued' && command.sent_at !== null) || command.state === 'dead';
    if (permanent && awaiting) {
      this.finish(command, result, `late answer (was ${command.state})`);
      this.pump();
      return;
    }
    this.log.debug({ id: command.id, state: command.state, outcome: result.outcome }, 'result for a command not awaiting one; ignored');
  }

  // ---- transitions ------------------------------------------------------------------------

  /** After a failed attempt: back to the queue after a backoff, or dead once attempts are used up. */
  private retryOrBury(command: QueuedCommand, error: CommandError, delayMs?: number): void {
    this.clearInFlight(command.id);
    const now = this.clock.now();
    if (command.attempts >= this.options.maxAttempts) {
      this.transition(
        command,
        { state: 'dead', next_attempt_at: null, last_error: error, finished_at: now },
        'dead',
        `${error.code} on attempt ${command.attempts} of ${this.options.maxAttempts}`,
      );
      this.log.warn({ id: command.id, attempts: command.attempts, code: error.code }, 'command moved to the dead-letter list');
      return;
    }
    const delay = delayMs ?? this.options.backoffBaseMs * 2 ** Math.max(0, command.attempts - 1);
    this.transition(command, { state: 'queued', next_attempt_at: now + delay, last_error: error }, 'retried', `${error.code}; attempt ${command.attempts + 1} in ${delay} ms`);
    this.log.info({ id: command.id, attempts: command.attempts, code: error.code, delay_ms: delay }, 'command will be retried');
  }

  private finish(command: QueuedCommand, result: CommandResult, note: string | null): void {
    const state = result.outcome;
    const detail = [result.error === null ? null : `${result.error.code}: ${result.error.message}`, note].filter((s) => s !== null).join('; ');
    this.transition(
      command,
      { state, result, last_error: result.error, next_attempt_at: null, finished_at: this.clock.now(), discarded_at: null },
      state,
      detail === '' ? null : detail.slice(0, 2000),
    );
    if (state === 'succeeded') this.log.debug({ id: command.id, seq: result.seq }, 'command succeeded');
    else this.log.info({ id: command.id, outcome: state, code: result.error?.code }, 'command did not succeed');
  }

  private expire(command: QueuedCommand, now: number): void {
    this.transition(
      command,
      {
        state: 'expired',
        next_attempt_at: null,
        finished_at: now,
        last_error: { code: 'expired', message: `expired at ${new Date(command.expires_at).toISOString()} before it could be sent` },
      },
      'expired',
      'expired before it was sent',
    );
    this.log.info({ id: command.id, expires_at: command.expires_at }, 'command expired before it could be sent');
  }

  /** Writes a change with its audit row in one transaction, then tells the listeners. */
  private transition(command: QueuedCommand, change: Partial<QueuedCommand>, action: AuditAction, detail: string | null, client = RELAY_CLIENT): QueuedCommand {
    const now = this.clock.now();
    const next: QueuedCommand = { ...command, ...change, updated_at: now };
    this.store.update(next, { ts: now, command_id: next.id, client, action, detail });
    this.wrote(next);
    if (isFinal(next.state)) traceCommand(this.log, next.id, 'answer_stored');
    this.emit(next, action, command.state);
    return next;
  }

  private emit(command: QueuedCommand, action: AuditAction, previous: QueuedCommand['state']): void {
    const latency = !isFinal(previous) && isFinal(command.state) ? commandLatencyMs(command) : null;
    for (const l of this.listeners) {
      try {
        l.changed?.(command, action);
        if (latency !== null) l.finished?.(command, latency);
      } catch (err) {
        this.log.error({ err, id: command.id }, 'a command queue listener threw');
      }
    }
  }

  private allInState(state: QueuedCommand['state']): QueuedCommand[] {
    const all: QueuedCommand[] = [];
    let after = 0;
    for (;;) {
      const page = this.store.inState(state, { afterArrival: after, limit: PAGE });
      all.push(...page);
      const last = page[page.length - 1];
      if (last === undefined || page.length < PAGE) return all;
      after = last.arrival;
    }
  }

  private require(id: string): QueuedCommand {
    const command = this.store.get(id);
    if (command === null) throw new CommandNotFoundError(id);
    return command;
  }

  /** Link callbacks and timers must not throw into the link or the event loop: log instead. */
  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log.error({ err }, `${what} failed`);
    }
  }
}
