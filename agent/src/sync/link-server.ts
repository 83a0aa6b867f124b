import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { RawData } from 'ws';
import {
  type Codec,
  message,
  stateDigest,
  withoutUpdatedAt,
  MAX_BATCH_UPDATES,
  HANDSHAKE_LIMITS,
  type Command,
  type CommandResult,
  type EventEntry,
  type Message,
  type MessageOf,
  type MessageType,
  type PayloadOf,
  type ZoneState,
} from '@boiler/shared';
import { commandTraceOn, frameBytes, linkProof, monotonicMicros, newNonce, refuseUpgrade, targetPath, traceCommand, verifyLinkProof, type LinkSession, type Logger } from '@boiler/service';
import type { AgentBus } from '../bus.js';
import type { OutboxSource } from '../facade.js';
import { REAL_LINK_SERVER_DEPS, SOCKET_OPEN, batchingOf, type LinkServerDeps, type LinkSocket, type LinkSocketServer, type LinkTimers, type WriteBatching } from './link-socket.js';

export interface LinkOptions {
  secret: string;
  agentName: string;
  batchIntervalMs: number;
  heartbeatIntervalMs: number;
  /** Time a new socket has to finish the handshake (both proofs). */
  authTimeoutMs: number;
  /** The relay may ask for any range within the newest this-many events; older means a full sync. */
  outboxWindow: number;
  /** A relay whose unsent bytes pass this is dropped; it will resync. */
  maxBufferedBytes: number;
  /** Events per catch-up page (and per live send). */
  pageSize: number;
  /**
   * Events per full-sync page: fewer, so a page's JSON (about 190 bytes an event) stays under V8's
   * large-object size (128 KiB). Larger, each page's text went straight to the old generation on
   * both ends, and a year's full sync piled up some 15 MiB of it on the relay between collections.
   */
  syncPageSize: number;
  maxPayloadBytes: number;
}

export const DEFAULT_LINK_OPTIONS: Omit<LinkOptions, 'secret' | 'agentName'> = {
  batchIntervalMs: 2000,
  heartbeatIntervalMs: 30_000,
  authTimeoutMs: 10_000,
  outboxWindow: 10_000,
  maxBufferedBytes: 8 * 1024 * 1024,
  pageSize: 1000,
  syncPageSize: 400,
  maxPayloadBytes: 1024 * 1024,
};

/** Close codes the link uses, beside the standard 1007 (bad data) and 1009 (too big). */
export const CLOSE = {
  badData: 1007,
  policy: 1008,
  tooBig: 1009,
  authFailed: 4001,
  authTimeout: 4002,
  tooSlow: 4003,
  /** A handshake message on a link already open: a replayed or injected handshake. */
  handshakeOnOpenLink: 4004,
  internalError: 1011,
  shuttingDown: 1001,
} as const;

/** Counters the link exports (and tests read). */
export interface LinkStats {
  connections: number;
  authFailures: number;
  authTimeouts: number;
  badFrames: number;
  /** Frames whose handling threw: a bug, answered with a log line (and a close before auth). */
  handlerErrors: number;
  closedTooSlow: number;
  framesSent: number;
  framesReceived: number;
  relayAckedSeq: number;
}

/** URGENT events go to the relay at once; samples wait for the next batch. */
const URGENT = new Set<EventEntry['event']>(['ON', 'OFF', 'ALERT', 'COMMAND']);

/** A catch-up or sync stream sends its next page only once the socket holds less than this unsent. */
export const STREAM_LOW_WATER_BYTES = 256 * 1024;

/** How long a peer has to complete a closing handshake before its socket is cut. */
const CLOSE_GRACE_MS = 2000;

/** The agent's side of the relay link: ws at /ws, challenge-response auth, outbox publishing. */
export class LinkServer {
  readonly stats: LinkStats = {
    connections: 0,
    authFailures: 0,
    authTimeouts: 0,
    badFrames: 0,
    handlerErrors: 0,
    closedTooSlow: 0,
    framesSent: 0,
    framesReceived: 0,
    relayAckedSeq: 0,
  };
  private readonly socketServer: LinkSocketServer;
  private readonly sessions = new Set<RelaySession>();
  private batchTimer: unknown;
  private heartbeatTimer: unknown;
  private readonly started: number;
  private readonly options: LinkOptions;
  private readonly deps: LinkServerDeps;
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(
    private readonly source: OutboxSource,
    private readonly bus: AgentBus,
    private readonly codec: Codec,
    private readonly log: Logger,
    options: Pick<LinkOptions, 'secret' | 'agentName'> & Partial<LinkOptions>,
    /** The socket server, timers and clock; the real ones unless a test steps its own. */
    deps: Partial<LinkServerDeps> = {},
  ) {
    this.options = { ...DEFAULT_LINK_OPTIONS, ...options };
    this.deps = { ...REAL_LINK_SERVER_DEPS, ...deps };
    this.started = this.deps.monotonic();
    this.socketServer = this.deps.createSocketServer({ maxPayload: this.options.maxPayloadBytes });
  }

  /** Serves /ws on the agent's HTTP server. */
  attach(server: Server): void {
    server.on('upgrade', this.onUpgrade);
    this.bus.on('events', this, (events) => {
      const urgent = events.some((e) => URGENT.has(e.event));
      for (const s of this.sessions) s.eventsAppended(events, urgent);
    });
    this.batchTimer = this.deps.timers.setInterval(() => {
      for (const s of this.sessions) s.flush();
    }, this.options.batchIntervalMs);
    this.heartbeatTimer = this.deps.timers.setInterval(() => {
      for (const s of this.sessions) s.heartbeat();
    }, this.options.heartbeatIntervalMs);
  }

  /**
   * Takes a relay's connection once upgraded to a websocket: attach's upgrade path hands its
   * sockets here, and so can a framework's websocket route. The handshake starts at once.
   */
  accept(socket: LinkSocket, remoteAddress: string, stream?: WriteBatching): void {
    const session = new RelaySession(socket, remoteAddress, this.source, this.codec, this.log, this.options, this.stats, this.deps, () => this.uptimeSeconds(), stream);
    this.sessions.add(session);
    this.stats.connections++;
    socket.on('close', () => this.sessions.delete(session));
    session.begin();
  }

  /** Sends every relay what it has not had yet, then a heartbeat: the last word before a stop. */
  flushAll(): void {
    for (const s of this.sessions) s.heartbeat();
  }

  /** Closes every session and stops publishing. */
  stop(server?: Server): void {
    if (server !== undefined) server.off('upgrade', this.onUpgrade);
    this.bus.removeAll(this);
    this.deps.timers.clearInterval(this.batchTimer);
    this.deps.timers.clearInterval(this.heartbeatTimer);
    for (const s of this.sessions) s.close(CLOSE.shuttingDown, 'agent stopping');
    this.socketServer.close();
  }

  sessionCount(): number {
    return this.sessions.size;
  }

  uptimeSeconds(): number {
    return (this.deps.monotonic() - this.started) / 1000;
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // targetPath never throws: a throw in an upgrade listener would stop the agent (and release every output).
    if (targetPath(req.url) !== '/ws') {
      refuseUpgrade(socket);
      return;
    }
    socket.on('error', () => socket.destroy());
    // The upgraded stream itself (ws writes its frames to it) is kept too, to batch a command's frames into one write.
    this.socketServer.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.socket.remoteAddress ?? 'unknown', batchingOf(socket)));
  }
}

/** challenged: our nonce sent; proving: our proof sent, waiting for the relay's; open: data flows. */
type SessionState = 'challenged' | 'proving' | 'open' | 'closed';

/** One relay connection: auth, then live publishing, catch-up and full sync. */
class RelaySession {
  private state: SessionState = 'challenged';
  private readonly nonce = newNonce();
  /** Both nonces and names, once the relay has sent its own nonce. */
  private session: LinkSession | null = null;
  private authTimer: unknown;
  private closeGuard: unknown;
  /** Streams waiting for the send buffer to drain; woken by send callbacks and by the close. */
  private drainWaiters: (() => void)[] = [];
  /** The newest seq sent live on this socket. */
  private liveSeq = 0;
  private pendingEvents = false;
  /**
   * The events the bus announced since the last send, in seq order, as long as they follow on
   * from liveSeq with no hole: then they are sent as they are rather than read back from the log.
   * Null when they cannot be trusted to be all (too many, or a hole): the next send reads the log.
   */
  private announced: EventEntry[] | null = [];
  private readonly lastSentZone = new Map<string, string>();
  private lastSentSystem = '';
  private lastSentSettings = '';
  private client = '';
  private badFrameTimes: number[] = [];
  private streaming = Promise.resolve();
  private lastHeard: number;
  private readonly timers: LinkTimers;
  private readonly monotonic: () => number;
  /** While command stages are traced: when the frame being handled arrived, and when this session last heard of new events (monotonic µs). */
  private frameArrivedUs: number | undefined;
  private eventsAppendedUs = 0;
  /** While this session runs a relay's command: urgent events go at once, the rest of a flush waits for the answer. */
  private answering = false;
  private flushAfterAnswer = false;

  constructor(
    private readonly ws: LinkSocket,
    private readonly address: string,
    private readonly source: OutboxSource,
    private readonly codec: Codec,
    private readonly log: Logger,
    private readonly options: LinkOptions,
    private readonly stats: LinkStats,
    deps: Pick<LinkServerDeps, 'timers' | 'monotonic'>,
    private readonly uptime: () => number,
    /** The stream under the socket, when its writes can be held and let go together (a TCP or TLS socket). */
    private readonly stream?: WriteBatching,
  ) {
    this.timers = deps.timers;
    this.monotonic = deps.monotonic;
    this.lastHeard = this.monotonic();
  }

  begin(): void {
    this.ws.on('error', (err) => {
      // ws reports oversized frames (1009) and protocol errors here, then closes the socket itself.
      this.log.warn({ address: this.address, err: err.message, code: (err as { code?: string }).code }, 'relay socket error');
      if ((err as { code?: string }).code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.stats.badFrames++;
    });
    this.ws.on('message', (data, isBinary) => this.guarded(data, isBinary));
    this.ws.on('pong', () => {
      this.lastHeard = this.monotonic();
    });
    this.ws.on('close', (code, reason) => {
      this.state = 'closed';
      this.timers.clearTimeout(this.authTimer);
      this.timers.clearTimeout(this.closeGuard);
      this.wakeDrainWaiters();
      this.log.info({ address: this.address, client: this.client, code, reason: reason.toString() }, 'relay link closed');
    });
    this.authTimer = this.timers.setTimeout(() => {
      if (this.state === 'challenged' || this.state === 'proving') {
        this.stats.authTimeouts++;
        this.log.warn({ address: this.address, state: this.state }, 'relay did not answer the challenge in time');
        this.close(CLOSE.authTimeout, 'auth timeout');
      }
    }, this.options.authTimeoutMs);
    this.send('auth_challenge', { nonce: this.nonce, agent: this.options.agentName });
  }

  close(code: number, reason: string): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.timers.clearTimeout(this.authTimer);
    this.wakeDrainWaiters();
    this.ws.close(code, reason);
    // A peer that never completes the closing handshake is cut off (the close event clears this).
    this.closeGuard = this.timers.setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS);
  }

  eventsAppended(events: readonly EventEntry[], urgent: boolean): void {
    if (this.state !== 'open') return;
    if (this.frameArrivedUs !== undefined) this.eventsAppendedUs = monotonicMicros();
    this.pendingEvents = true;
    this.announce(events);
    if (!urgent) return;
    if (!this.answering) return this.flush();
    // A command of this relay's: its events go before its answer, so the replica has them when the
    // UI hears "succeeded"; zone and system state follow right after the answer (see dispatch).
    this.flushEvents();
    this.flushAfterAnswer = true;
  }

  /** Sends what changed since the last flush: new events, changed zones, changed system state. */
  flush(): void {
    if (this.state !== 'open') return;
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) {
      this.stats.closedTooSlow++;
      this.log.warn({ client: this.client, buffered: this.ws.bufferedAmount }, 'relay is not keeping up; dropping it to resync');
      this.close(CLOSE.tooSlow, 'too slow');
      return;
    }
    this.flushEvents();
    const changed: ZoneState[] = [];
    for (const z of this.source.zones()) {
      const json = JSON.stringify(withoutUpdatedAt(z));
      if (this.lastSentZone.get(z.zone) !== json) {
        this.lastSentZone.set(z.zone, json);
        changed.push(z);
      }
    }
    for (let i = 0; i < changed.length; i += MAX_BATCH_UPDATES) {
      this.send('zone_state_update', { zones: changed.slice(i, i + MAX_BATCH_UPDATES) });
    }
    const system = this.source.system();
    const sysJson = JSON.stringify(withoutUpdatedAt(system));
    if (sysJson !== this.lastSentSystem) {
      this.lastSentSystem = sysJson;
      this.send('system_state_update', { system });
    }
    const settings = this.source.settings();
    const settingsJson = JSON.stringify(settings);
    if (settingsJson !== this.lastSentSettings) {
      this.lastSentSettings = settingsJson;
      this.send('settings_update', { settings });
    }
  }

  /** Keeps what the bus announced while it follows on from what was sent (or from the last kept) with no hole and fits a page. */
  private announce(events: readonly EventEntry[]): void {
    const kept = this.announced;
    if (kept === null) return;
    let next = (kept.length === 0 ? this.liveSeq : (kept[kept.length - 1] as EventEntry).seq) + 1;
    for (const e of events) {
      if (e.seq !== next++ || kept.length >= this.options.pageSize) {
        this.announced = null;
        return;
      }
      kept.push(e);
    }
  }

  /** Sends the events appended since the last send, in pages: as announced when that is all of them, else read from the log. */
  private flushEvents(): void {
    if (this.state !== 'open' || !this.pendingEvents) return;
    this.pendingEvents = false;
    const announced = this.announced;
    this.announced = [];
    if (announced !== null) {
      if (announced.length === 0) return;
      this.sendEvents(announced);
      this.liveSeq = (announced[announced.length - 1] as EventEntry).seq;
      return;
    }
    for (;;) {
      const events = this.source.eventsAfter(this.liveSeq, this.options.pageSize);
      if (events.length === 0) break;
      this.sendEvents(events);
      this.liveSeq = (events[events.length - 1] as EventEntry).seq;
      if (events.length < this.options.pageSize) break;
    }
  }

  heartbeat(): void {
    if (this.state !== 'open') return;
    if (this.monotonic() - this.lastHeard > this.options.heartbeatIntervalMs * 3) {
      this.log.warn({ client: this.client }, 'relay silent for three heartbeats; closing the link');
      this.ws.terminate();
      return;
    }
    this.flush();
    this.send('heartbeat', {
      last_seq: this.source.lastSeq(),
      digest: stateDigest(this.source.zones(), this.source.system()),
      uptime_s: Math.floor(this.uptime()),
    });
    this.ws.ping();
  }

  /** The socket's message handler: nothing a frame holds may throw out of it and stop the agent. */
  private guarded(data: RawData, isBinary: boolean): void {
    try {
      this.received(data, isBinary);
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err, address: this.address, client: this.client, state: this.state }, 'relay frame handling failed');
      // Before auth the peer is nobody: close. After, the fault is ours; the link stays for the next frame.
      if (this.state !== 'open') this.close(CLOSE.internalError, 'internal error');
    }
  }

  private received(data: RawData, isBinary: boolean): void {
    this.lastHeard = this.monotonic();
    this.frameArrivedUs = commandTraceOn(this.log) ? monotonicMicros() : undefined;
    this.stats.framesReceived++;
    const frame = isBinary ? frameBytes(data) : data.toString();
    // Nothing bigger than a handshake is parsed (or inflated) before the relay has proven itself.
    const decoded = this.codec.decode(frame, this.state === 'open' ? undefined : HANDSHAKE_LIMITS);
    if (!decoded.ok) {
      this.stats.badFrames++;
      const code = decoded.error.code;
      this.log.warn({ client: this.client, address: this.address, code, reason: decoded.error.message }, 'bad frame from relay dropped');
      const tooBig = code === 'inflate_limit' || code === 'frame_too_large';
      if (this.state !== 'open') return this.close(tooBig ? CLOSE.tooBig : CLOSE.badData, code);
      if (tooBig) return this.close(CLOSE.tooBig, code);
      const now = this.monotonic();
      this.badFrameTimes = this.badFrameTimes.filter((t) => now - t < 60_000);
      this.badFrameTimes.push(now);
      if (this.badFrameTimes.length >= 20) this.close(CLOSE.badData, 'too many bad frames');
      return;
    }
    try {
      this.dispatch(decoded.message);
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err, type: decoded.message.type }, 'relay message handling failed');
      if (this.state !== 'open') this.close(CLOSE.internalError, 'internal error');
    }
  }

  /** One step of the handshake; the agent proves itself first, then waits for the relay's proof over the same session. */
  private handshake(m: Message): void {
    if (this.state === 'challenged' && m.type === 'auth_request') {
      this.client = m.payload.client;
      this.session = { agentNonce: this.nonce, relayNonce: m.payload.nonce, agent: this.options.agentName, client: m.payload.client };
      if (m.payload.nonce === this.nonce) {
        // Our own nonce sent back: a reflection; an honest relay draws its own.
        this.stats.authFailures++;
        this.log.warn({ address: this.address }, 'relay echoed the agent nonce');
        return this.close(CLOSE.authFailed, 'auth failed');
      }
      this.state = 'proving';
      this.send('auth_proof', { mac: linkProof(this.options.secret, 'agent->relay', this.session) });
      return;
    }
    if (this.state === 'proving' && m.type === 'auth_response' && this.session !== null) {
      if (!verifyLinkProof(this.options.secret, 'relay->agent', this.session, m.payload.mac)) {
        this.stats.authFailures++;
        this.log.warn({ address: this.address, client: this.client }, 'relay failed the challenge (wrong secret)');
        return this.close(CLOSE.authFailed, 'auth failed');
      }
      this.timers.clearTimeout(this.authTimer);
      this.session = null;
      this.state = 'open';
      this.liveSeq = this.source.lastSeq();
      this.announced = [];
      this.log.info({ address: this.address, client: this.client, last_seq: this.liveSeq }, 'relay link open');
      this.send('auth_ok', { last_seq: this.liveSeq });
      this.flush();
      return;
    }
    this.stats.authFailures++;
    this.log.warn({ address: this.address, type: m.type, state: this.state }, 'relay spoke before authenticating');
    return this.close(CLOSE.authFailed, 'auth required');
  }

  private dispatch(m: Message): void {
    if (this.state === 'closed') return;
    if (this.state !== 'open') return this.handshake(m);
    switch (m.type) {
      case 'range_request':
        this.queueStream(() => this.streamRange(m));
        return;
      case 'full_sync_request':
        this.queueStream(() => this.streamFullSync(m.id, m.payload.after_seq, m.payload.reason));
        return;
      case 'ack':
        this.stats.relayAckedSeq = Math.max(this.stats.relayAckedSeq, m.payload.last_seq);
        return;
      case 'command_request':
        this.answerCommand(m);
        return;
      case 'heartbeat':
        return;
      case 'auth_request':
      case 'auth_response':
        // A handshake replayed or injected into an open session: refuse it rather than sign anything.
        this.stats.authFailures++;
        this.log.warn({ client: this.client, type: m.type }, 'handshake message on an open link; closing');
        return this.close(CLOSE.handshakeOnOpenLink, 'handshake on an open link');
      case 'auth_challenge':
      case 'auth_proof':
      case 'auth_ok':
      case 'zone_state_update':
      case 'system_state_update':
      case 'settings_update':
      case 'event_log_entry':
      case 'command_response':
      case 'full_sync_response':
        this.stats.badFrames++;
        this.log.warn({ client: this.client, type: m.type }, 'relay sent a message only the agent sends; dropped');
        return;
      default: {
        const unreachable: never = m;
        return unreachable;
      }
    }
  }

  /**
   * Runs a relay's command and answers it. Its events go first, so the replica has them when the
   * UI hears "succeeded"; they and the answer leave in one write (the stream held between), one
   * syscall and one wake-up of the relay rather than two. The state the command changed follows
   * the answer in a write of its own (its zone's views are worked out then), so the answer waits
   * on none of it and the zone does not wait for the next batch.
   */
  private answerCommand(m: MessageOf<'command_request'>): void {
    const id = m.payload.command.id;
    traceCommand(this.log, id, 'received', this.frameArrivedUs);
    const startedUs = this.frameArrivedUs === undefined ? 0 : monotonicMicros();
    this.stream?.cork();
    try {
      this.answering = true;
      let result: CommandResult;
      try {
        result = this.runCommand(m.payload.command);
      } finally {
        this.answering = false;
      }
      // Committed: when the command's events reached the link, right after its transaction (a refusal writes nothing: now).
      if (this.frameArrivedUs !== undefined) traceCommand(this.log, id, 'committed', this.eventsAppendedUs >= startedUs ? this.eventsAppendedUs : undefined);
      traceCommand(this.log, id, 'answered');
      this.send('command_response', { result }, m.id === undefined ? {} : { id: m.id });
    } finally {
      this.stream?.uncork();
    }
    if (this.flushAfterAnswer) {
      this.flushAfterAnswer = false;
      this.flush();
    }
  }

  private runCommand(command: Command): CommandResult {
    const answer = this.source.execute(command, `relay:${this.client}`);
    if (answer.kind === 'done') return answer.result;
    return {
      id: command.id,
      outcome: answer.code === 'expired' ? 'expired' : 'failed',
      error: { code: answer.code, message: answer.message },
      seq: null,
      finished_at: this.source.now(),
    };
  }

  /** Streams run one at a time, so pages of two requests never interleave. */
  private queueStream(fn: () => Promise<void>): void {
    this.streaming = this.streaming.then(fn).catch((err: unknown) => this.log.error({ err }, 'stream to relay failed'));
  }

  private windowStart(): number {
    const last = this.source.lastSeq();
    return Math.max(this.source.oldestSeq(), last - this.options.outboxWindow + 1, 1);
  }

  private async streamRange(m: MessageOf<'range_request'>): Promise<void> {
    const { after_seq, to_seq } = m.payload;
    if (after_seq + 1 < this.windowStart() && after_seq < this.source.lastSeq()) {
      this.log.info({ client: this.client, after_seq, window_start: this.windowStart() }, 'range is older than the outbox keeps; full sync');
      return this.streamFullSync(m.id, 0, 'range beyond the outbox');
    }
    const to = Math.min(to_seq, this.source.lastSeq());
    let cursor = after_seq;
    while (cursor < to && this.state === 'open') {
      const events = this.source.eventsAfter(cursor, Math.min(this.options.pageSize, to - cursor));
      if (events.length === 0) break;
      this.sendEvents(events, m.id);
      cursor = (events[events.length - 1] as EventEntry).seq;
      await this.drained();
    }
  }

  private async streamFullSync(id: string | undefined, afterSeq: number, reason: string): Promise<void> {
    const last = this.source.lastSeq();
    const oldest = this.source.oldestSeq();
    this.log.info({ client: this.client, reason, last_seq: last, oldest }, 'full sync to relay');
    let cursor = Math.max(afterSeq, oldest > 0 ? oldest - 1 : 0);
    let page = 0;
    const meta = id === undefined ? {} : { id };
    for (;;) {
      if (this.state !== 'open') return;
      const events = cursor < last ? this.source.eventsAfter(cursor, Math.min(this.options.syncPageSize, last - cursor)) : [];
      const done = events.length === 0 || (events[events.length - 1] as EventEntry).seq >= last;
      const snapshot = page === 0 ? { zones: this.source.zones(), system: this.source.system(), last_seq: last, first_kept_seq: oldest } : null;
      this.send('full_sync_response', { page, done, snapshot, events }, meta);
      if (done) return;
      cursor = (events[events.length - 1] as EventEntry).seq;
      page++;
      await this.drained();
    }
  }

  /**
   * Resolves once the socket's send buffer is small (or the session is over), so a long stream
   * holds about one page in memory at a time. Woken by the send callbacks, which run as frames are
   * written out, and by the close: no timer polls it.
   */
  private drained(): Promise<void> {
    if (this.isDrained()) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private isDrained(): boolean {
    return this.state !== 'open' || this.ws.bufferedAmount <= STREAM_LOW_WATER_BYTES;
  }

  private wakeDrainWaiters(): void {
    if (this.drainWaiters.length === 0 || !this.isDrained()) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }

  private sendEvents(events: EventEntry[], id?: string): void {
    const first = (events[0] as EventEntry).seq;
    const last = (events[events.length - 1] as EventEntry).seq;
    this.send('event_log_entry', { first_seq: first, last_seq: last, events }, id === undefined ? {} : { id });
  }

  private send<T extends MessageType>(type: T, payload: PayloadOf<T>, meta: { id?: string } = {}): void {
    if (this.ws.readyState !== SOCKET_OPEN) return;
    const frame = this.codec.encode(message(type, payload, { ts: this.source.now(), ...meta }) as Message);
    this.stats.framesSent++;
    this.ws.send(frame, { binary: typeof frame !== 'string' }, () => this.wakeDrainWaiters());
  }
}

