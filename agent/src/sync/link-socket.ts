import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import { nodeLinkTimers, type LinkTimers } from '@boiler/service';

export { nodeLinkTimers, type LinkTimers };

// What the link server needs of a socket, its timers and its clock, so that it takes them through
// its constructor (as zwave-js takes its serial binding): ws and Node's timers in the agent, an
// in-memory relay and a stepped clock in the protocol tests.

/** `readyState` of a socket that can send (the WebSocket constant). */
export const SOCKET_OPEN = 1;

/** The part of a ws WebSocket the link uses: one relay connection, already upgraded. */
export interface LinkSocket {
  readonly readyState: number;
  /** Bytes handed to send() and not yet written out. */
  readonly bufferedAmount: number;
  /** `done` runs once the frame is written out (or with an error when it never will be). */
  send(frame: string | Uint8Array, options: { binary: boolean }, done?: (err?: Error) => void): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'pong', listener: () => void): this;
}

/** A stream whose writes can be held and then let go in one (Node's cork and uncork; they nest). */
export interface WriteBatching {
  cork(): void;
  uncork(): void;
}

/** The upgraded stream's cork and uncork, when it has them (a net or TLS socket does). */
export function batchingOf(stream: Duplex): WriteBatching | undefined {
  return typeof stream.cork === 'function' && typeof stream.uncork === 'function' ? stream : undefined;
}

/** Turns an HTTP upgrade into a link socket (ws's WebSocketServer without a server of its own). */
export interface LinkSocketServer {
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, done: (socket: LinkSocket) => void): void;
  close(): void;
}

export type LinkSocketServerFactory = (options: { maxPayload: number }) => LinkSocketServer;


/** ws, with compression off: the codec gzips large frames itself, and deflate state per socket costs memory on the Pi. */
export const wsSocketServer: LinkSocketServerFactory = ({ maxPayload }) => new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false });

/** What the link server is given besides its options; each defaults to the real one. */
export interface LinkServerDeps {
  createSocketServer: LinkSocketServerFactory;
  timers: LinkTimers;
  /** Monotonic ms: for silence, bad-frame rates and uptime, which a wall-clock step must not bend. */
  monotonic: () => number;
}

export const REAL_LINK_SERVER_DEPS: LinkServerDeps = {
  createSocketServer: wsSocketServer,
  timers: nodeLinkTimers,
  monotonic: () => performance.now(),
};
