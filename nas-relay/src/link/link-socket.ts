import WebSocket, { type RawData } from 'ws';
import { nodeLinkTimers, type LinkTimers } from '@boiler/service';

export { nodeLinkTimers, type LinkTimers };

// What the agent link needs of its socket, timers, clock and randomness, so that it takes them
// through its constructor (as home-assistant-js-websocket takes its createSocket): ws and Node's
// in the relay, a scripted agent and a stepped clock in the protocol tests.

/** `readyState` of a socket that can send (the WebSocket constant). */
export const SOCKET_OPEN = 1;

/** The part of a ws client WebSocket the link uses. */
export interface LinkSocket {
  readonly readyState: number;
  send(frame: string | Uint8Array, options: { binary: boolean }): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on(event: 'open', listener: () => void): this;
  on(event: 'message', listener: (data: RawData, isBinary: boolean) => void): this;
  on(event: 'close', listener: (code: number, reason: Buffer) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'pong', listener: () => void): this;
  removeAllListeners(event: 'close'): this;
}

/** Opens a socket to the agent; it reports 'open' or 'error' then 'close' later. */
export type LinkSocketFactory = (url: string, options: WebSocket.ClientOptions) => LinkSocket;


/** What the agent link is given besides its options; each defaults to the real one. */
export interface AgentLinkDeps {
  createSocket: LinkSocketFactory;
  timers: LinkTimers;
  /** Wall ms, for stamps (frames, the last heartbeat, when events were applied). */
  now: () => number;
  /** Monotonic ms, for how long a catch-up has run or stalled. */
  monotonic: () => number;
  /** In [0, 1): the reconnect jitter. */
  random: () => number;
}

export const REAL_AGENT_LINK_DEPS: AgentLinkDeps = {
  createSocket: (url, options) => new WebSocket(url, options),
  timers: nodeLinkTimers,
  now: () => Date.now(),
  monotonic: () => performance.now(),
  random: Math.random,
};
