import { EventEmitter } from 'node:events';

// An in-memory websocket pair that behaves as ws does where the link depends on it: frames
// arrive in order a microtask after send() (text as a Buffer with isBinary false), bufferedAmount
// counts what the other end has not read, a send's callback runs once its frame is out, close is
// a handshake the other end answers (unless told not to), terminate cuts both ends (1006), and a
// ping is answered with a pong (unless told not to).

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

type Outgoing =
  | { kind: 'frame'; data: Buffer; binary: boolean; done: ((err?: Error) => void) | undefined }
  | { kind: 'ping' }
  | { kind: 'pong' }
  | { kind: 'close'; code: number; reason: string };

export class MemorySocket extends EventEmitter {
  readyState: number;
  /** The other end; set by memorySocketPair. */
  peer!: MemorySocket;
  /** Whether this end answers a ping with a pong (a half-open link does not). */
  answersPings = true;
  /** Whether this end answers a close frame (a stuck peer does not, and is cut off by the closer's terminate). */
  answersClose = true;
  /** Frames (and control frames) sent by this end and not yet read by the other. */
  private outgoing: Outgoing[] = [];
  /** While true, the other end reads nothing: what this end sends stays buffered. */
  private peerReading = true;
  private pumpQueued = false;
  private closeSeen: { code: number; reason: string } | null = null;

  constructor(connecting: boolean) {
    super();
    this.readyState = connecting ? CONNECTING : OPEN;
  }

  get bufferedAmount(): number {
    let bytes = 0;
    for (const o of this.outgoing) if (o.kind === 'frame') bytes += o.data.length;
    return bytes;
  }

  send(frame: string | Uint8Array, options: { binary: boolean }, done?: (err?: Error) => void): void {
    if (this.readyState !== OPEN) {
      if (done !== undefined) queueMicrotask(() => done(new Error('socket not open')));
      return;
    }
    const data = typeof frame === 'string' ? Buffer.from(frame, 'utf8') : Buffer.from(frame);
    this.queue({ kind: 'frame', data, binary: options.binary, done });
  }

  ping(): void {
    if (this.readyState === OPEN) this.queue({ kind: 'ping' });
  }

  close(code: number, reason: string): void {
    if (this.readyState !== OPEN && this.readyState !== CONNECTING) return;
    this.readyState = CLOSING;
    this.queue({ kind: 'close', code, reason });
  }

  /** Cuts the connection at once: both ends close with 1006, whatever was unread is lost. */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    this.finish(1006, '');
    queueMicrotask(() => this.peer.finish(1006, ''));
  }

  /** Stops the other end reading: what this end sends stays in bufferedAmount. */
  holdDelivery(): void {
    this.peerReading = false;
  }

  /** Lets the other end read again; what waited arrives in order. */
  releaseDelivery(): void {
    this.peerReading = true;
    this.schedulePump();
  }

  /** Opens a connecting socket and its other end (the server accepted the connection). */
  accept(): void {
    if (this.readyState !== CONNECTING) return;
    this.readyState = OPEN;
    this.peer.readyState = OPEN;
    queueMicrotask(() => this.emit('open'));
  }

  /** A connection that could not be made: an error, then the close ws reports after it. */
  refuse(message = 'connect ECONNREFUSED 127.0.0.1'): void {
    queueMicrotask(() => {
      this.emit('error', Object.assign(new Error(message), { code: 'ECONNREFUSED' }));
      this.finish(1006, '');
    });
  }

  private queue(o: Outgoing): void {
    this.outgoing.push(o);
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  private pump(): void {
    while (this.peerReading && this.outgoing.length > 0) {
      const o = this.outgoing.shift() as Outgoing;
      if (this.readyState === CLOSED) {
        if (o.kind === 'frame') o.done?.(new Error('socket closed'));
        continue;
      }
      if (o.kind === 'frame') o.done?.();
      this.peer.receive(o);
    }
  }

  private receive(o: Outgoing): void {
    if (this.readyState === CLOSED) return;
    switch (o.kind) {
      case 'frame':
        if (this.readyState === OPEN || this.readyState === CLOSING) this.emit('message', o.data, o.binary);
        return;
      case 'ping':
        if (this.answersPings && this.readyState === OPEN) this.queue({ kind: 'pong' });
        return;
      case 'pong':
        this.emit('pong');
        return;
      case 'close':
        this.closeSeen = { code: o.code, reason: o.reason };
        // Not a ws event: lets a test see the other end's close frame arrive at a peer that will not answer it.
        this.emit('closing', o.code);
        if (this.readyState === CLOSING) {
          // Our own close answered: the handshake is complete.
          this.finish(o.code, o.reason);
          return;
        }
        if (!this.answersClose) return;
        this.readyState = CLOSING;
        this.queue({ kind: 'close', code: o.code, reason: o.reason });
        queueMicrotask(() => this.finish(o.code, o.reason));
        return;
    }
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    for (const o of this.outgoing.splice(0)) if (o.kind === 'frame') o.done?.(new Error('socket closed'));
    const seen = this.closeSeen ?? { code, reason };
    this.emit('close', seen.code, Buffer.from(seen.reason));
  }
}

/**
 * Two connected ends. With `connecting`, the first end (the client's) waits for accept() or
 * refuse() before it can send, as a ws client does before 'open'.
 */
export function memorySocketPair(options: { connecting?: boolean } = {}): [MemorySocket, MemorySocket] {
  const a = new MemorySocket(options.connecting ?? false);
  const b = new MemorySocket(options.connecting ?? false);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
