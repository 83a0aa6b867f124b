import { z } from 'zod';
import { LiveServerMessage, MAX_NESTING_DEPTH, nestsDeeperThan, type LiveClientMessage } from '@boiler/shared';
import type { EarlySocket, HeadStart } from './head-start';
import { RelayRest, type RelayAnswer, type RestMethod } from './relay-rest';
import type { Backend, LiveFeed, LiveHandlers, SignInResult } from './backend';

const SessionInfo = z.object({ expires_at: z.number() });

/** Reconnect delays: doubling from half a second to half a minute, jittered so kiosks do not stampede. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A socket that has answered nothing for this long is treated as dead (a relay gone without a close). */
const PING_EVERY_MS = 15_000;
const SILENT_FOR_MS = 25_000;

/**
 * The browser's Backend: same-origin REST and `/api/live` on the relay that served the page.
 *
 * Sign-in exchanges the key for the relay's session cookie (`POST /api/session`). A relay without
 * that route answers 404 or 405 to the probe, which carries the key as a bearer token too; then the key
 * is held in this object's memory only (never in page storage) and sent on each request and as the
 * live socket's first message, so a reload asks for it again.
 */
export class BrowserBackend extends RelayRest implements Backend {
  private key: string | null = null;

  /** `early`: the socket and the session check main.ts began before the app was evaluated, to take over. */
  constructor(
    private readonly origin: string = window.location.origin,
    private readonly early: HeadStart | null = null,
  ) {
    super();
  }

  async hasSession(): Promise<boolean> {
    if (this.key !== null) return true;
    try {
      const url = `${this.origin}/api/session`;
      const res = await (this.early?.takeSession(url) ?? fetch(url, { credentials: 'same-origin' }));
      if (res.status !== 200) return false;
      return SessionInfo.safeParse(await res.json()).success;
    } catch {
      return false;
    }
  }

  async signIn(key: string): Promise<SignInResult> {
    let res: Response;
    try {
      res = await fetch(`${this.origin}/api/session`, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify({ key }),
      });
    } catch {
      return 'unreachable';
    }
    if (res.status === 204 || res.status === 200) {
      this.key = null;
      return 'signed_in';
    }
    if (res.status === 404 || res.status === 405) {
      // The key passed the relay's bearer check (it answers 401 before routing); no session route yet.
      this.key = key;
      return 'signed_in';
    }
    if (res.status === 401 || res.status === 403) return 'wrong_key';
    return 'relay_error';
  }

  async signOut(): Promise<void> {
    if (this.key !== null) {
      this.key = null;
      return;
    }
    try {
      await fetch(`${this.origin}/api/session`, { method: 'DELETE', credentials: 'same-origin' });
    } catch {
      // Signed out here either way; the cookie lapses at its expiry.
    }
  }











  exportUrl(path: string, query: URLSearchParams): string {
    const q = query.toString();
    return `${this.origin}${path}${q === '' ? '' : `?${q}`}`;
  }

  live(handlers: LiveHandlers): LiveFeed {
    const url = `${this.origin.replace(/^http/, 'ws')}/api/live`;
    // The socket begun as the page's script started is admitted by the session cookie alone; with a key to send it is not used.
    const early = this.early?.takeSocket(url) ?? null;
    if (early !== null && this.key !== null) early.ws.close(1000, 'not used');
    return new LiveSocket(url, this.key, handlers, this.key === null ? early : null);
  }

  protected async send(method: RestMethod, path: string, body?: unknown): Promise<RelayAnswer> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.key !== null) headers.authorization = `Bearer ${this.key}`;
    let res: Response;
    try {
      res = await fetch(`${this.origin}${path}`, { method, headers, credentials: 'same-origin', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch {
      return { status: 0, body: null };
    }
    let raw: unknown = null;
    try {
      raw = await res.json();
    } catch {
      // A body that is not JSON is judged by its status.
    }
    return { status: res.status, body: raw };
  }
}

/** One live feed: the socket, its keepalive and its reconnecting. */
class LiveSocket implements LiveFeed {
  private ws: WebSocket | null = null;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;

  constructor(
    private readonly url: string,
    private readonly key: string | null,
    private readonly handlers: LiveHandlers,
    early: EarlySocket | null = null,
  ) {
    this.connect(early);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    this.ws?.close(1000, 'signed out');
    this.ws = null;
  }

  /** Connects, or takes over a socket begun early: what it already saw is handled as if it came now, in order. */
  private connect(early: EarlySocket | null = null): void {
    this.handlers.state('connecting');
    const ws = early?.ws ?? new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => this.opened();
    ws.onmessage = (e: MessageEvent) => this.received(e.data);
    ws.onclose = (e: CloseEvent) => this.lost(ws, e.code);
    if (early === null) return;
    // After the caller has this feed in hand (a close seen early may lead its handlers to close it).
    queueMicrotask(() => {
      if (ws !== this.ws || this.closed) return;
      if (early.opened) this.opened();
      for (const e of early.seen) {
        if (ws !== this.ws || this.closed) return;
        if (e.type === 'message') this.received((e as MessageEvent).data);
        else this.lost(ws, (e as CloseEvent).code);
      }
    });
  }

  private opened(): void {
    this.lastHeard = Date.now();
    if (this.key !== null) this.send({ type: 'auth', key: this.key });
    this.pingTimer = setInterval(() => this.keepAlive(), PING_EVERY_MS);
  }

  private send(message: LiveClientMessage): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  private keepAlive(): void {
    if (Date.now() - this.lastHeard > SILENT_FOR_MS) {
      this.ws?.close(4000, 'silent');
      return;
    }
    this.send({ type: 'ping' });
  }

  private received(data: unknown): void {
    this.lastHeard = Date.now();
    if (typeof data !== 'string') return;
    let raw: unknown;
    try {
      raw = JSON.parse(data);
    } catch {
      console.warn('live: a message that is not JSON was ignored');
      return;
    }
    if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) return;
    const parsed = LiveServerMessage.safeParse(raw);
    if (!parsed.success) {
      console.warn('live: a message of no known shape was ignored', parsed.error.issues.slice(0, 3));
      return;
    }
    if (parsed.data.type === 'snapshot') {
      this.attempt = 0;
      this.handlers.state('open');
    }
    this.handlers.message(parsed.data);
  }

  private lost(ws: WebSocket, code: number): void {
    clearInterval(this.pingTimer);
    if (ws !== this.ws || this.closed) return;
    this.ws = null;
    if (code === 4401) {
      this.handlers.state('unauthorised');
      return;
    }
    this.handlers.state('unreachable');
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.connect(), delay / 2 + Math.random() * (delay / 2));
  }
}
