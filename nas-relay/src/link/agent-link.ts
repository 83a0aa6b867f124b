import type WebSocket from 'ws';
import type { RawData } from 'ws';
import {
  type Codec,
  HANDSHAKE_LIMITS,
  message,
  type Command,
  type CommandResult,
  type EventEntry,
  type Message,
  type MessageOf,
  type MessageType,
  type PayloadOf,
  type SiteSettings,
  type SystemState,
  type ZoneState,
} from '@boiler/shared';
import { commandTraceOn, frameBytes, linkProof, monotonicMicros, newNonce, traceCommand, verifyLinkProof, type LinkSession, type Logger } from '@boiler/service';
import { REAL_AGENT_LINK_DEPS, SOCKET_OPEN, type AgentLinkDeps, type LinkSocket } from './link-socket.js';

/** Where the link writes what the agent sends: the replica, applied in transactions. */
export interface ReplicaSink {
  /** The last seq applied durably. */
  appliedSeq(): number;
  /**
   * Applies events in one transaction with the new applied seq. Events at or below the applied
   * seq are skipped. With `allowGap` (a full sync past pruned history) the first event may be
   * beyond applied + 1; otherwise the caller guarantees contiguity.
   */
  applyEvents(events: readonly EventEntry[], options?: { allowGap?: boolean }): number;
  applyZones(zones: readonly ZoneState[]): void;
  /** Replaces every zone (a full-sync snapshot), so a zone removed from the agent goes here too. */
  replaceZones(zones: readonly ZoneState[]): void;
  applySystem(system: SystemState): void;
  applySettings(settings: SiteSettings): void;
  /** Marks everything up to seq as applied (the end of a full sync whose older events are gone). */
  advanceTo(seq: number): void;
  /**
   * Forgets every event (and what was derived from them) and sets the applied seq to 0, in one
   * transaction: the authenticated agent's log is behind the replica, so the replica's is wrong.
   */
  resetLog(): void;
  digest(): string;
}

export interface LinkClientOptions {
  url: string;
  secret: string;
  clientName: string;
  /** A link with nothing heard for this long is dead (90 s: three missed heartbeats). */
  deadAfterMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
  /** A catch-up with no progress for this long is asked for again. */
  catchUpStallMs: number;
  maxPayloadBytes: number;
  /** Time the agent has, from the socket opening, to prove itself and open the link. */
  authTimeoutMs: number;
  /** Options for the ws client, e.g. the pinned https agent for wss (see tls/pinning.ts). */
  socketOptions?: WebSocket.ClientOptions;
}

export const DEFAULT_LINK_CLIENT_OPTIONS = {
  deadAfterMs: 90_000,
  backoffMinMs: 1000,
  backoffMaxMs: 60_000,
  catchUpStallMs: 10_000,
  maxPayloadBytes: 1024 * 1024,
  authTimeoutMs: 10_000,
} as const;

/** How long the agent has to complete a closing handshake before its socket is cut. */
const CLOSE_GRACE_MS = 2000;

/** Close codes the relay's side uses (the agent's side uses the same numbers for the same reasons). */
export const LINK_CLOSE = {
  badData: 1007,
  tooBig: 1009,
  internalError: 1011,
  authFailed: 4001,
  authTimeout: 4002,
  handshakeOnOpenLink: 4004,
} as const;

/**
 * Where the handshake stands on the current socket. Until `open`, the relay applies nothing and
 * sends nothing but its own handshake messages; it signs only after the agent's proof checked.
 */
type LinkState = 'closed' | 'awaiting_challenge' | 'awaiting_proof' | 'awaiting_ok' | 'open';

export interface LinkClientStats {
  connects: number;
  disconnects: number;
  badFrames: number;
  /** Handshakes refused: a peer that spoke out of turn, failed its proof, or took too long. */
  authFailures: number;
  /** Frames whose handling threw. */
  handlerErrors: number;
  /** Full syncs from zero because the replica was ahead of the authenticated agent. */
  resyncsAhead: number;
  /** Connections refused because the agent's certificate was not the pinned one. */
  pinMismatches: number;
  duplicates: number;
  gaps: number;
  rangeRequests: number;
  fullSyncs: number;
  digestMismatches: number;
  eventsApplied: number;
  lastConnectedAt: number | null;
  /** The agent's last heartbeat: its newest seq and whether the replica's state digest matched. */
  lastHeartbeat: { last_seq: number; digest_match: boolean; at: number } | null;
}

export interface LinkListener {
  /**
   * Events applied to the replica, with the time they were applied (for lag). `streamed`: a page
   * of a catch-up or full sync the relay asked for (history, up to a thousand events a page), not
   * events the agent sent as they happened.
   */
  applied?(events: readonly EventEntry[], appliedAt: number, how: { streamed: boolean }): void;
  zones?(zones: readonly ZoneState[]): void;
  system?(system: SystemState): void;
  /** The schedules and presets, stored in the replica, after the agent sent them. */
  settings?(settings: SiteSettings): void;
  commandResult?(result: CommandResult): void;
  connected?(): void;
  disconnected?(): void;
}

/**
 * The relay's side of the link to the agent: authenticates, applies what arrives to the
 * replica exactly once and in order, fills gaps by range requests or a full sync, notices a
 * dead or half-open link, and reconnects with exponential backoff and jitter.
 */
export class AgentLink {
  readonly stats: LinkClientStats = {
    connects: 0,
    disconnects: 0,
    badFrames: 0,
    authFailures: 0,
    handlerErrors: 0,
    resyncsAhead: 0,
    pinMismatches: 0,
    duplicates: 0,
    gaps: 0,
    rangeRequests: 0,
    fullSyncs: 0,
    digestMismatches: 0,
    eventsApplied: 0,
    lastConnectedAt: null,
    lastHeartbeat: null,
  };
  private ws: LinkSocket | undefined;
  private open = false;
  private state: LinkState = 'closed';
  private session: LinkSession | null = null;
  private authTimer: unknown;
  /** The full sync asked for on this socket, if any: pages nobody asked for are refused. */
  private syncRequested: { replace: boolean } | null = null;
  private stopped = true;
  private attempt = 0;
  private reconnectTimer: unknown;
  private deadTimer: unknown;
  private pingTimer: unknown;
  private closeGuard: unknown;
  private highestSeen = 0;
  private catchUp: { to: number; progressAt: number; applied: number; from: number; startedAt: number } | null = null;
  private syncing: { target: number } | null = null;
  private readonly options: LinkClientOptions;
  private readonly deps: AgentLinkDeps;
  private readonly listeners = new Set<LinkListener>();
  private ackQueued = false;
  /** When the frame being handled arrived (monotonic µs), kept only while command stages are traced. */
  private frameArrivedUs: number | undefined;

  constructor(
    private readonly replica: ReplicaSink,
    private readonly codec: Codec,
    private readonly log: Logger,
    options: Pick<LinkClientOptions, 'url' | 'secret' | 'clientName'> & Partial<LinkClientOptions>,
    /** The socket factory, timers, clock and jitter; the real ones unless a test steps its own. */
    deps: Partial<AgentLinkDeps> = {},
  ) {
    this.options = { ...DEFAULT_LINK_CLIENT_OPTIONS, ...options };
    this.deps = { ...REAL_AGENT_LINK_DEPS, ...deps };
  }

  listen(listener: LinkListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get connected(): boolean {
    return this.open;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.deps.timers.clearTimeout(this.reconnectTimer);
    this.deps.timers.clearTimeout(this.closeGuard);
    this.teardownTimers();
    if (this.ws !== undefined) {
      this.ws.removeAllListeners('close');
      this.ws.on('error', () => undefined);
      this.ws.terminate();
    }
    this.markClosed();
  }

  /** Sends a command to the agent; false when the link is not open (the queue keeps it). */
  sendCommand(command: Command): boolean {
    if (!this.open) return false;
    return this.send('command_request', { command }, command.id);
  }

  /** The delay before reconnect attempt n: exponential from 1 s to 60 s, with jitter. */
  backoffDelay(attempt: number): number {
    const base = Math.min(this.options.backoffMaxMs, this.options.backoffMinMs * 2 ** attempt);
    // "Equal jitter": at least half the delay, so a herd of relays spreads without retrying at once.
    return Math.round(base / 2 + this.deps.random() * (base / 2));
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = this.deps.createSocket(this.options.url, {
      ...this.options.socketOptions,
      maxPayload: this.options.maxPayloadBytes,
      perMessageDeflate: false,
      handshakeTimeout: 10_000,
    });
    this.ws = ws;
    ws.on('message', (data, isBinary) => this.guarded(ws, data, isBinary));
    ws.on('pong', () => this.heard());
    ws.on('error', (err) => {
      if ((err as { code?: string }).code === 'ERR_TLS_CERT_PIN_MISMATCH') {
        // Not the agent, or the agent's certificate changed: nothing was written to it.
        this.stats.pinMismatches++;
        const { expected, presented } = err as Error & { expected?: string; presented?: string | null };
        this.log.error({ expected, presented, url: this.options.url }, 'agent certificate does not match PI_TLS_FINGERPRINT; connection refused');
        return;
      }
      this.log.warn({ err: err.message }, 'agent link error');
    });
    ws.on('close', (code, reason) => {
      this.log.info({ code, reason: reason.toString() }, 'agent link closed');
      this.deps.timers.clearTimeout(this.closeGuard);
      this.teardownTimers();
      this.markClosed();
      this.scheduleReconnect();
    });
    ws.on('open', () => {
      this.heard();
      this.state = 'awaiting_challenge';
      this.authTimer = this.deps.timers.setTimeout(() => {
        if (this.ws !== ws || this.state === 'open') return;
        this.stats.authFailures++;
        this.log.warn({ state: this.state, timeout_ms: this.options.authTimeoutMs }, 'agent did not finish the handshake in time');
        this.closeSocket(LINK_CLOSE.authTimeout, 'auth timeout');
      }, this.options.authTimeoutMs);
      this.pingTimer = this.deps.timers.setInterval(() => {
        if (ws.readyState === SOCKET_OPEN) ws.ping();
      }, Math.max(1000, this.options.deadAfterMs / 3));
    });
  }

  private markClosed(): void {
    this.state = 'closed';
    this.session = null;
    this.syncRequested = null;
    this.deps.timers.clearTimeout(this.authTimer);
    if (this.open) {
      this.open = false;
      this.stats.disconnects++;
      for (const l of this.listeners) l.disconnected?.();
    }
    this.catchUp = null;
    this.syncing = null;
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const delay = this.backoffDelay(this.attempt++);
    this.log.info({ delay_ms: delay, attempt: this.attempt }, 'reconnecting to the agent');
    this.reconnectTimer = this.deps.timers.setTimeout(() => this.connect(), delay);
  }

  private teardownTimers(): void {
    this.deps.timers.clearTimeout(this.deadTimer);
    this.deps.timers.clearInterval(this.pingTimer);
  }

  /** Anything from the agent (a frame or a pong) proves the link is alive. */
  private heard(): void {
    this.deps.timers.clearTimeout(this.deadTimer);
    this.deadTimer = this.deps.timers.setTimeout(() => {
      this.log.warn({ silent_ms: this.options.deadAfterMs }, 'agent link silent; treating it as dead');
      this.ws?.terminate();
    }, this.options.deadAfterMs);
  }

  /** Closes this socket with a code; a peer that does not complete the close is cut off. */
  private closeSocket(code: number, reason: string): void {
    const ws = this.ws;
    if (ws === undefined) return;
    this.state = 'closed';
    ws.close(code, reason);
    // The close event clears this; a peer that never completes the closing handshake is cut off.
    this.closeGuard = this.deps.timers.setTimeout(() => ws.terminate(), CLOSE_GRACE_MS);
  }

  /** The socket's message handler: nothing a frame holds may throw out of it and stop the relay. */
  private guarded(ws: LinkSocket, data: RawData, isBinary: boolean): void {
    if (ws !== this.ws) return; // a frame from a socket already replaced
    try {
      this.received(data, isBinary);
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err, state: this.state }, 'handling a frame from the agent failed');
      if (this.state !== 'open') this.closeSocket(LINK_CLOSE.internalError, 'internal error');
    }
  }

  private received(data: RawData, isBinary: boolean): void {
    if (this.state === 'closed') return;
    this.frameArrivedUs = commandTraceOn(this.log) ? monotonicMicros() : undefined;
    this.heard();
    const frame = isBinary ? frameBytes(data) : data.toString();
    // Nothing bigger than a handshake is parsed (or inflated) before the agent has proven itself.
    const decoded = this.codec.decode(frame, this.state === 'open' ? undefined : HANDSHAKE_LIMITS);
    if (!decoded.ok) {
      this.stats.badFrames++;
      const code = decoded.error.code;
      this.log.warn({ code, reason: decoded.error.message, state: this.state }, 'bad frame from agent dropped');
      // Before the agent has proven itself, nothing it sends is worth keeping the socket for.
      if (this.state !== 'open') this.closeSocket(code === 'inflate_limit' || code === 'frame_too_large' ? LINK_CLOSE.tooBig : LINK_CLOSE.badData, code);
      return;
    }
    try {
      if (this.state === 'open') this.dispatch(decoded.message);
      else this.handshake(decoded.message);
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err, type: decoded.message.type }, 'applying a frame from the agent failed');
      if (this.state !== 'open') this.closeSocket(LINK_CLOSE.internalError, 'internal error');
    }
  }

  /** One step of the handshake: the agent proves itself over both nonces first; only then does the relay sign. */
  private handshake(m: Message): void {
    if (this.state === 'awaiting_challenge' && m.type === 'auth_challenge') {
      this.session = { agentNonce: m.payload.nonce, relayNonce: newNonce(), agent: m.payload.agent, client: this.options.clientName };
      this.state = 'awaiting_proof';
      this.send('auth_request', { nonce: this.session.relayNonce, client: this.options.clientName });
      return;
    }
    if (this.state === 'awaiting_proof' && m.type === 'auth_proof' && this.session !== null) {
      if (!verifyLinkProof(this.options.secret, 'agent->relay', this.session, m.payload.mac)) {
        this.stats.authFailures++;
        this.log.warn({ agent: this.session.agent }, 'agent failed the challenge (wrong secret, or not the agent)');
        this.closeSocket(LINK_CLOSE.authFailed, 'auth failed');
        return;
      }
      this.state = 'awaiting_ok';
      this.send('auth_response', { mac: linkProof(this.options.secret, 'relay->agent', this.session) });
      this.session = null;
      return;
    }
    if (this.state === 'awaiting_ok' && m.type === 'auth_ok') {
      this.deps.timers.clearTimeout(this.authTimer);
      this.state = 'open';
      this.linkOpened(m.payload.last_seq);
      return;
    }
    // Anything else before the link is open (state from an unproven peer above all) is applied
    // nowhere and answered with a close.
    this.stats.authFailures++;
    this.log.warn({ type: m.type, state: this.state }, 'agent spoke before authenticating');
    this.closeSocket(LINK_CLOSE.authFailed, 'auth required');
  }

  private linkOpened(agentLastSeq: number): void {
    this.open = true;
    this.attempt = 0;
    this.stats.connects++;
    this.stats.lastConnectedAt = this.deps.now();
    // The agent's word on this fresh session, not a maximum over earlier ones (its database may have been replaced).
    this.highestSeen = agentLastSeq;
    const applied = this.replica.appliedSeq();
    this.log.info({ agent_last_seq: agentLastSeq, applied }, 'agent link open');
    for (const l of this.listeners) l.connected?.();
    if (applied > agentLastSeq) this.resyncAhead(applied, agentLastSeq);
    else this.maybeCatchUp();
  }

  /**
   * The replica holds seqs the authenticated agent never wrote (its database was replaced, or a
   * peer once fed the replica a seq far ahead): the agent is the source of truth, so the replica
   * throws its log away and takes everything again, rather than waiting forever for seqs to catch up.
   */
  private resyncAhead(applied: number, agentLastSeq: number): void {
    this.stats.resyncsAhead++;
    this.log.error({ applied, agent_last_seq: agentLastSeq }, 'replica is ahead of the agent log; full sync from zero, replacing its events');
    this.requestFullSync('replica ahead of the agent', 0, true);
  }

  private dispatch(m: Message): void {
    switch (m.type) {
      case 'auth_challenge':
      case 'auth_request':
      case 'auth_proof':
      case 'auth_response':
      case 'auth_ok':
        // A handshake replayed or injected into an open session: refuse it rather than sign anything.
        this.stats.authFailures++;
        this.log.warn({ type: m.type }, 'handshake message on an open link; closing');
        this.closeSocket(LINK_CLOSE.handshakeOnOpenLink, 'handshake on an open link');
        return;
      case 'event_log_entry':
        this.onEvents(m);
        return;
      case 'zone_state_update':
        this.replica.applyZones(m.payload.zones);
        for (const l of this.listeners) l.zones?.(m.payload.zones);
        return;
      case 'system_state_update':
        this.replica.applySystem(m.payload.system);
        for (const l of this.listeners) l.system?.(m.payload.system);
        return;
      case 'settings_update':
        this.replica.applySettings(m.payload.settings);
        for (const l of this.listeners) l.settings?.(m.payload.settings);
        return;
      case 'full_sync_response':
        this.onSyncPage(m);
        return;
      case 'heartbeat': {
        this.highestSeen = Math.max(this.highestSeen, m.payload.last_seq);
        const applied = this.replica.appliedSeq();
        this.stats.lastHeartbeat = { last_seq: m.payload.last_seq, digest_match: m.payload.digest === this.replica.digest(), at: this.deps.now() };
        // Events travel before the heartbeat on the same socket, so an applied seq past the one it reports is wrong.
        if (applied > m.payload.last_seq && this.syncing === null && this.syncRequested === null) this.resyncAhead(applied, m.payload.last_seq);
        else if (applied < m.payload.last_seq) this.maybeCatchUp();
        else if (this.catchUp === null && this.syncing === null && m.payload.digest !== this.replica.digest()) {
          this.stats.digestMismatches++;
          this.log.warn({ applied }, 'replica state differs from the agent digest; resyncing state');
          this.requestFullSync('digest mismatch', applied);
        }
        return;
      }
      case 'command_response':
        traceCommand(this.log, m.payload.result.id, 'answer_received', this.frameArrivedUs);
        for (const l of this.listeners) l.commandResult?.(m.payload.result);
        return;
      case 'range_request':
      case 'full_sync_request':
      case 'command_request':
      case 'ack':
        this.stats.badFrames++;
        this.log.warn({ type: m.type }, 'agent sent a message only the relay sends; dropped');
        return;
      default: {
        const unreachable: never = m;
        return unreachable;
      }
    }
  }

  private onEvents(m: MessageOf<'event_log_entry'>): void {
    const { first_seq, last_seq, events } = m.payload;
    if (!contiguous(events, first_seq, last_seq)) {
      this.stats.badFrames++;
      this.log.warn({ first_seq, last_seq }, 'event batch is not contiguous; dropped');
      return;
    }
    this.highestSeen = Math.max(this.highestSeen, last_seq);
    const applied = this.replica.appliedSeq();
    if (last_seq <= applied) {
      this.stats.duplicates++;
      return;
    }
    if (this.syncing !== null) return; // a full sync is delivering these; live ones are re-asked after it
    if (first_seq > applied + 1) {
      this.stats.gaps++;
      this.maybeCatchUp();
      return;
    }
    this.apply(events);
    this.maybeCatchUp();
  }

  private onSyncPage(m: MessageOf<'full_sync_response'>): void {
    const { snapshot, events, done } = m.payload;
    if (snapshot !== null) {
      // The agent answers a range older than its outbox with a full sync, so an open catch-up asked for one too.
      const requested = this.syncRequested ?? (this.catchUp !== null ? { replace: false } : null);
      if (requested === null) {
        this.stats.badFrames++;
        this.log.warn({ last_seq: snapshot.last_seq }, 'full sync nobody asked for; dropped');
        return;
      }
      this.syncRequested = null;
      this.stats.fullSyncs++;
      this.syncing = { target: snapshot.last_seq };
      if (requested.replace) this.replica.resetLog();
      this.highestSeen = Math.max(this.highestSeen, snapshot.last_seq);
      this.replica.replaceZones(snapshot.zones);
      this.replica.applySystem(snapshot.system);
      for (const l of this.listeners) {
        l.zones?.(snapshot.zones);
        l.system?.(snapshot.system);
      }
    }
    if (this.syncing === null) return; // a page of a sync that a reconnect interrupted
    if (events.length > 0) this.apply(events, true);
    this.log.debug({ page: m.payload.page, applied: this.replica.appliedSeq(), target: this.syncing.target }, 'sync page applied');
    if (done) {
      this.replica.advanceTo(this.syncing.target);
      this.syncing = null;
      this.catchUp = null;
      this.sendAck();
      this.log.info({ applied: this.replica.appliedSeq() }, 'full sync complete');
      this.maybeCatchUp();
    }
  }

  private apply(events: readonly EventEntry[], allowGap = false): void {
    const before = this.replica.appliedSeq();
    const after = this.replica.applyEvents(events, { allowGap });
    const fresh = events.filter((e) => e.seq > before && e.seq <= after);
    this.stats.eventsApplied += fresh.length;
    const at = this.deps.now();
    const how = { streamed: allowGap || this.catchUp !== null };
    for (const l of this.listeners) l.applied?.(fresh, at, how);
    this.ackSoon();
  }

  private sendAck(): void {
    this.send('ack', { last_seq: this.replica.appliedSeq() });
  }

  /**
   * Acks once the frames that arrived together are handled (a microtask): a command's events and
   * its answer come in one write, and the answer is not held behind an ack's write to the agent;
   * a burst of batches is acked once, with the newest seq.
   */
  private ackSoon(): void {
    if (this.ackQueued) return;
    this.ackQueued = true;
    queueMicrotask(() => {
      this.ackQueued = false;
      if (this.open) this.sendAck();
    });
  }

  /** Asks for what is missing, unless a request is already making progress. */
  private maybeCatchUp(): void {
    if (!this.open || this.syncing !== null) return;
    const applied = this.replica.appliedSeq();
    if (this.catchUp !== null) {
      if (applied >= this.catchUp.to) {
        const ms = this.deps.monotonic() - this.catchUp.startedAt;
        this.log.info({ events: applied - this.catchUp.from, ms: Math.round(ms * 100) / 100, applied }, 'caught up');
        this.catchUp = null;
      }
      else if (applied > this.catchUp.applied) {
        this.catchUp.applied = applied;
        this.catchUp.progressAt = this.deps.monotonic();
        return;
      } else if (this.deps.monotonic() - this.catchUp.progressAt < this.options.catchUpStallMs) return;
    }
    if (this.highestSeen <= applied) return;
    const started = this.deps.monotonic();
    this.catchUp = { to: this.highestSeen, progressAt: started, applied, from: applied, startedAt: started };
    this.stats.rangeRequests++;
    this.send('range_request', { after_seq: applied, to_seq: this.highestSeen });
  }

  private requestFullSync(reason: string, afterSeq: number, replace = false): void {
    this.catchUp = null;
    this.syncRequested = { replace };
    this.send('full_sync_request', { reason, after_seq: afterSeq });
  }

  private send<T extends MessageType>(type: T, payload: PayloadOf<T>, id?: string): boolean {
    const ws = this.ws;
    if (ws === undefined || ws.readyState !== SOCKET_OPEN) return false;
    const ts = this.deps.now();
    const frame = this.codec.encode(message(type, payload, id === undefined ? { ts } : { ts, id }) as Message);
    ws.send(frame, { binary: typeof frame !== 'string' });
    return true;
  }
}

function contiguous(events: readonly EventEntry[], first: number, last: number): boolean {
  if (events.length !== last - first + 1) return false;
  for (let i = 0; i < events.length; i++) if ((events[i] as EventEntry).seq !== first + i) return false;
  return true;
}

