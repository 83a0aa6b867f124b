import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { LiveClientMessage, type LiveServerMessage } from '@boiler/shared';
import { sameKey, type Logger } from '@boiler/service';

/** Close codes of the live socket. */
export const LIVE_CLOSE = { unauthorised: 4401, authTimeout: 4408, tooSlow: 4429, badMessage: 1007, shuttingDown: 1001 } as const;

/**
 * Whether an upgrade's request target is the live socket's path (a query string allowed). Plain
 * string work, not new URL: a target like `//` makes new URL throw, and a throw in an upgrade
 * listener is an uncaught exception that stops the relay.
 */
export function isLivePath(target: string | undefined): boolean {
  return (target ?? '').split('?')[0] === '/api/live';
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
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  private readonly onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => this.upgrade(req, socket, head);

  constructor(
    private readonly apiKey: string | undefined,
    private readonly snapshot: () => Promise<LiveServerMessage>,
    private readonly log: Logger,
    private readonly options = { authTimeoutMs: 5000, maxBufferedBytes: 4 * 1024 * 1024 },
  ) {}

  attach(server: Server): void {
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
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const client: Client = { ws, authed: false, address: req.socket.remoteAddress ?? 'unknown' };
      this.clients.add(client);
      ws.on('error', (err) => this.log.debug({ err: err.message }, 'live socket error'));
      ws.on('close', () => this.clients.delete(client));
      ws.on('message', (data, isBinary) => this.received(client, isBinary ? '' : data.toString()));
      if (header !== undefined || this.apiKey === undefined) void this.admit(client);
      else {
        const timer = setTimeout(() => {
          if (!client.authed) ws.close(LIVE_CLOSE.authTimeout, 'auth timeout');
        }, this.options.authTimeoutMs);
        ws.once('close', () => clearTimeout(timer));
      }
    });
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

  private received(client: Client, text: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      client.ws.close(LIVE_CLOSE.badMessage, 'not JSON');
      return;
    }
    const parsed = LiveClientMessage.safeParse(raw);
    if (!parsed.success) {
      client.ws.close(LIVE_CLOSE.badMessage, 'unknown message');
      return;
    }
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
