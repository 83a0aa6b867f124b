import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import WebSocket, { WebSocketServer } from 'ws';
import { Codec, message, type Message, type MessageType, type PayloadOf } from '@boiler/shared';
import { frameBytes, linkProof, newNonce, nodeCompression, type LinkSession } from '@boiler/service';

export const codec = new Codec(nodeCompression);

/** A frame for a message, as the codec would send it. */
export function frame<T extends MessageType>(type: T, payload: PayloadOf<T>, meta: { id?: string } = {}): string | Uint8Array {
  return codec.encode(message(type, payload, { ts: Date.now(), ...meta }) as Message);
}

/** Decodes a received ws frame, or null when it is not a valid message. */
export function decode(data: WebSocket.RawData, isBinary: boolean): Message | null {
  const d = codec.decode(isBinary ? frameBytes(data) : data.toString());
  return d.ok ? d.message : null;
}

/** A socket with every message it received, to wait on by predicate, and its close code once closed. */
export class PeerSocket {
  readonly received: Message[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void; reject: (e: Error) => void }[] = [];
  private readonly closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  constructor(readonly ws: WebSocket) {
    ws.on('error', () => undefined);
    ws.on('message', (data, isBinary) => {
      const m = decode(data, isBinary);
      if (m === null) return;
      this.received.push(m);
      for (const w of [...this.waiters]) {
        if (w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      for (const w of this.waiters.splice(0)) w.reject(new Error(`socket closed (${code} ${reason.toString()}) before the awaited message`));
      for (const c of this.closeWaiters.splice(0)) c(this.closed);
    });
  }

  /** The first message of a type (past or future); rejects when the socket closes first. */
  waitFor<T extends MessageType>(type: T, timeoutMs = 15_000): Promise<Extract<Message, { type: T }>> {
    return this.waitForMatch((m) => m.type === type, type, timeoutMs) as Promise<Extract<Message, { type: T }>>;
  }

  /** The first message (past or future) the predicate accepts; rejects when the socket closes first. */
  waitForMatch(pred: (m: Message) => boolean, what = 'a message', timeoutMs = 15_000): Promise<Message> {
    const found = this.received.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    if (this.closed !== null) return Promise.reject(new Error(`socket already closed (${this.closed.code}) waiting for ${what}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  /** Resolves with the close code once the socket is closed. */
  whenClosed(): Promise<{ code: number; reason: string }> {
    if (this.closed !== null) return Promise.resolve(this.closed);
    return new Promise((resolve) => this.closeWaiters.push(resolve));
  }

  send(data: string | Uint8Array): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(data, { binary: typeof data !== 'string' });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Opens a client socket to the agent's /ws (ws or wss; a self-signed certificate is accepted here). */
export async function connectToAgent(url: string): Promise<PeerSocket> {
  const ws = new WebSocket(url, { rejectUnauthorized: false });
  const peer = new PeerSocket(ws);
  await Promise.race([
    once(ws, 'open'),
    once(ws, 'error').then(([err]) => {
      throw err as Error;
    }),
  ]);
  return peer;
}

/**
 * Does the relay's side of the handshake with the agent by the book, as `client`, with `secret`.
 * Resolves with the socket once the agent has said auth_ok (the secret was right), or with the
 * close code (it was wrong).
 */
export async function authenticateToAgent(url: string, secret: string, client = 'test-peer'): Promise<{ peer: PeerSocket; session: LinkSession; lastSeq: number | null }> {
  const peer = await connectToAgent(url);
  const challenge = await peer.waitFor('auth_challenge');
  const session: LinkSession = { agentNonce: challenge.payload.nonce, relayNonce: newNonce(), agent: challenge.payload.agent, client };
  peer.send(frame('auth_request', { nonce: session.relayNonce, client }));
  await peer.waitFor('auth_proof');
  peer.send(frame('auth_response', { mac: linkProof(secret, 'relay->agent', session) }));
  const ok = await Promise.race([peer.waitFor('auth_ok').then((m) => m.payload.last_seq), peer.whenClosed().then(() => null)]);
  return { peer, session, lastSeq: ok };
}

/**
 * A ws server at `/ws` on 127.0.0.1 standing where PI_WS_URL points: a fake agent, or the near
 * end of a man in the middle. Each relay connection is handed to `onRelay`.
 */
export class FakeAgentServer {
  readonly relays: PeerSocket[] = [];
  private readonly server: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });

  constructor(
    private readonly onRelay: (relay: PeerSocket) => void,
    tls?: { cert: string; key: string },
  ) {
    this.server = tls === undefined ? createHttpServer() : (createHttpsServer(tls) as unknown as Server);
    this.server.on('upgrade', (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        const peer = new PeerSocket(ws);
        this.relays.push(peer);
        this.onRelay(peer);
      });
    });
  }

  /** Raw TLS sockets that connected (for a test that counts what reached this server). */
  get httpServer(): Server {
    return this.server;
  }

  async listen(port = 0): Promise<number> {
    this.server.listen(port, '127.0.0.1');
    await once(this.server, 'listening');
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const r of this.relays) r.close();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
