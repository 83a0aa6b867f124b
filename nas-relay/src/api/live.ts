import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { LiveClientMessage, MAX_NESTING_DEPTH, nestsDeeperThan, type LiveServerMessage } from '@boiler/shared';
import { sameKey, targetPath, type Logger } from '@boiler/service';
import { sessionIdFrom } from './session.js';

/** Where the live socket checks a browser's session cookie (the REST API's SessionStore). */
export interface SessionLookup {
  expiresAt(id: string | undefined): number | null;
}

/** Close codes of the live socket. */
export const LIVE_CLOSE = { unauthorised: 4401, authTimeout: 4408, tooSlow: 4429, badMessage: 1007, internalError: 1011, shuttingDown: 1001 } as const;

/** Counters of the live socket (for metrics and tests). */
export interface LiveStats {
  /** Messages refused as not JSON, too deep or of no known shape; each closed its socket. */
  badMessages: number;
  /** Messages whose handling threw; each closed its socket. */
  handlerErrors: number;
}

/** Whether an upgrade's request target is the live socket's path (a query string allowed); never throws. */
export function isLivePath(target: string | undefined): boolean {
  return targetPath(target) === '/api/live';
}

interface Client {
  ws: WebSocket;
  authed: boolean;
  address: string;
}

/**
 * The live socket for UIs (`/api/live`): the API key in an Authorization header or as the first
 * message; then a snapshot, then every change. A client that reconnects gets a fresh snapshot,
 * so it never needs to know what it missed.
 */
export class LiveHub {
  readonly stats: LiveStats = { badMessages: 0, handlerErrors: 0 };
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);
  private sessions: SessionLookup | undefined;

  constructor(
    private readonly apiKey: string | undefined,
    private readonly snapshot: () => Promise<LiveServerMessage>,
    private readonly log: Logger,
    private readonly options = { authTimeoutMs: 5000, maxBufferedBytes: 4 * 1024 * 1024 },
  ) {}

  /** Takes `/api/live` upgrades on the server; with `sessions`, a browser's session cookie admits it as the key does. */
  attach(server: Server, sessions?: SessionLookup): void {
    this.sessions = sessions;
    server.on('upgrade', this.onUpgrade);
  }

  stop(server: Server): void {
    server.off('upgrade', this.onUpgrade);
    for (const c of this.clients) c.ws.close(LIVE_CLOSE.shuttingDown, 'relay stopping');
    this.wss.close();
  }

  count(): number {
    return this.clients.size;
  }

  /** Sends a change to every authenticated UI; one that cannot keep up is dropped (it will resubscribe). */
  broadcast(message: LiveServerMessage): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(message);
    for (const c of this.clients) {
      if (!c.authed || c.ws.readyState !== c.ws.OPEN) continue;
      if (c.ws.bufferedAmount > this.options.maxBufferedBytes) {
        c.ws.close(LIVE_CLOSE.tooSlow, 'too slow');
        continue;
      }
      c.ws.send(text);
    }
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (!isLivePath(req.url)) return; // the server answers any other path 404 itself
    socket.on('error', () => socket.destroy());
    const header = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (header !== undefined && !this.keyOk(header)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\n\r\n');
      return;
    }
    const bySession = header === undefined && this.sessionOk(req);
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { ws, authed: false, address: req.socket.remoteAddress ?? 'unknown' };
      this.clients.add(client);
      ws.on('error', (err) => this.log.debug({ err: err.message }, 'live socket error'));
      ws.on('close', () => this.clients.delete(client));
      ws.on('message', (data, isBinary) => this.guarded(client, data, isBinary));
      if (header !== undefined || bySession || this.apiKey === undefined) void this.admit(client);
      else {
        const timer = setTimeout(() => {
          if (!client.authed) ws.close(LIVE_CLOSE.authTimeout, 'auth timeout');
        }, this.options.authTimeoutMs);
        ws.once('close', () => clearTimeout(timer));
      }
    });
  }

  /**
   * A live session cookie, sent from a page of this relay: a browser sends the cookie to any
   * page's socket, so one opened from another site's page (its Origin's host is not ours) does
   * not count; it may still authenticate with the key as its first message.
   */
  private sessionOk(req: IncomingMessage): boolean {
    if (this.sessions === undefined || this.sessions.expiresAt(sessionIdFrom(req.headers.cookie)) === null) return false;
    const origin = req.headers.origin;
    if (origin === undefined) return true;
    try {
      return new URL(origin).host === req.headers.host;
    } catch {
      return false;
    }
  }

  private keyOk(key: string): boolean {
    return this.apiKey === undefined || sameKey(key, this.apiKey);
  }

  private async admit(client: Client): Promise<void> {
    client.authed = true;
    try {
      const snap = await this.snapshot();
      if (client.ws.readyState === client.ws.OPEN) client.ws.send(JSON.stringify(snap));
    } catch (err) {
      this.log.error({ err }, 'live snapshot failed');
      client.ws.close(1011, 'snapshot failed');
    }
  }

  /** The socket's message handler: nothing a UI (or anyone) sends may throw out of it and stop the relay. */
  private guarded(client: Client, data: RawData, isBinary: boolean): void {
    try {
      this.received(client, isBinary ? null : data.toString());
    } catch (err) {
      this.stats.handlerErrors++;
      this.log.error({ err, address: client.address }, 'live message handling failed');
      client.ws.close(LIVE_CLOSE.internalError, 'internal error');
    }
  }

  private refuse(client: Client, reason: string): void {
    this.stats.badMessages++;
    this.log.info({ address: client.address, reason }, 'live message refused');
    client.ws.close(LIVE_CLOSE.badMessage, reason);
  }

  private received(client: Client, text: string | null): void {
    if (text === null) return this.refuse(client, 'binary frame');
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return this.refuse(client, 'not JSON');
    }
    // zod recurses; a deep value must not reach it (JSON.parse itself is iterative in V8).
    if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) return this.refuse(client, 'too deep');
    const parsed = LiveClientMessage.safeParse(raw);
    if (!parsed.success) return this.refuse(client, 'unknown message');
    const m = parsed.data;
    if (m.type === 'auth') {
      if (client.authed) return;
      if (!this.keyOk(m.key)) {
        this.log.info({ address: client.address }, 'live socket refused: wrong key');
        client.ws.close(LIVE_CLOSE.unauthorised, 'unauthorised');
        return;
      }
      void this.admit(client);
      return;
    }
    if (!client.authed) {
      client.ws.close(LIVE_CLOSE.unauthorised, 'auth first');
      return;
    }
    client.ws.send(JSON.stringify({ type: 'pong', ...(m.id === undefined ? {} : { id: m.id }) }));
  }
}
