import { request as httpsRequest, type Agent } from 'node:https';
import WebSocket from 'ws';
import { CertificatePinError, TlsSetupError, pinnedAgent } from '@boiler/service/tls';
import type { LiveEvent, RelayAnswer, RelayMethod } from '../../preload/api.js';

/** How long a request to the relay may take, handshake included. */
const REQUEST_TIMEOUT_MS = 15_000;
/** The largest answer read from the relay (the events and commands lists are well under it). */
const MAX_ANSWER_BYTES = 8 * 1024 * 1024;
/** Live reconnects: doubling from half a second to half a minute, jittered. */
const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 30_000;
const PING_EVERY_MS = 15_000;
const SILENT_FOR_MS = 25_000;
/** The relay's close code for a refused key (nas-relay/src/api/live.ts). */
const CLOSE_UNAUTHORISED = 4401;

export interface RelayTarget {
  /** `https://host:port`, the relay's origin. */
  relay: string;
  /** The relay certificate's SHA-256 fingerprint. */
  fingerprint: string;
  key: string;
}

/** Why a request did not reach the relay, in words for the owner; a pin mismatch says which certificate came. */
export function unreachableReason(err: unknown): string {
  if (err instanceof CertificatePinError) {
    return err.presented === null
      ? 'The relay presented no certificate; nothing was sent.'
      : `The relay's certificate does not match the fingerprint: it presented SHA-256 ${err.presented}, not ${err.expected}. Nothing was sent.`;
  }
  if (err instanceof TlsSetupError) return `The fingerprint is not a SHA-256 fingerprint: ${err.message}`;
  const code = (err as { code?: string } | null)?.code;
  if (code === 'ECONNREFUSED') return 'The relay refused the connection: is it running at that address?';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'The relay\'s host name could not be resolved.';
  if (code === 'ETIMEDOUT' || code === 'ECONNRESET') return 'The relay did not answer in time.';
  return `The relay cannot be reached: ${(err as Error | null)?.message ?? String(err)}`;
}

/**
 * The relay, from the main process: every request and the live socket over TLS pinned to the
 * relay's certificate (checked on the finished handshake, before a byte is written), with the API
 * key added here. The renderer never sees the key.
 */
export class RelayClient {
  private readonly agent: Agent;
  private readonly origin: URL;

  /** Throws TlsSetupError for a malformed fingerprint, TypeError for an address that is not https. */
  constructor(private readonly target: RelayTarget) {
    this.origin = relayOrigin(target.relay);
    this.agent = pinnedAgent(target.fingerprint, { keepAlive: true });
  }

  get relay(): string {
    return this.origin.origin;
  }

  /** One request; never throws: an unreached relay is status 0 with the reason. */
  request(method: RelayMethod, path: string, body?: unknown): Promise<RelayAnswer> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    return new Promise((resolve) => {
      const headers: Record<string, string> = { authorization: `Bearer ${this.target.key}`, accept: 'application/json' };
      if (payload !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = String(payload.length);
      }
      const req = httpsRequest(new URL(path, this.origin), { method, agent: this.agent, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            res.destroy();
            resolve({ status: 0, body: null, reason: `The relay's answer was over ${MAX_ANSWER_BYTES} bytes.` });
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          let parsed: unknown = null;
          try {
            parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            // Not JSON: the page judges the answer by its status.
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
        res.on('error', (err) => resolve({ status: 0, body: null, reason: unreachableReason(err) }));
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      req.on('error', (err) => resolve({ status: 0, body: null, reason: unreachableReason(err) }));
      req.end(payload);
    });
  }

  /** The live socket, reconnecting until closed; each event goes to `emit`. */
  live(emit: (event: LiveEvent) => void): LiveLink {
    return new LiveLink(new URL('/api/live', this.origin.href.replace(/^https/, 'wss')).href, this.agent, this.target.key, emit);
  }

  close(): void {
    this.agent.destroy();
  }
}

/** The relay address as an https origin; a bare host:port is taken as https. */
export function relayOrigin(address: string): URL {
  const withScheme = /^[a-z]+:\/\//i.test(address) ? address : `https://${address}`;
  const url = new URL(withScheme);
  if (url.protocol !== 'https:') throw new TypeError(`the relay is reached over https only, not ${url.protocol.replace(':', '')}`);
  if (url.pathname !== '/' || url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') throw new TypeError('the relay address is a host and port only');
  return new URL(url.origin);
}

/** One live socket to the relay with its keepalive and reconnecting. */
export class LiveLink {
  private ws: WebSocket | null = null;
  private closed = false;
  private attempt = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private lastHeard = 0;

  constructor(
    private readonly url: string,
    private readonly agent: Agent,
    private readonly key: string,
    private readonly emit: (event: LiveEvent) => void,
  ) {
    this.connect();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearInterval(this.pingTimer);
    this.ws?.close(1000, 'closed');
    this.ws = null;
  }

  private connect(): void {
    this.emit({ kind: 'state', state: 'connecting' });
    // The key as a bearer header on the upgrade: the relay admits the socket at once.
    const ws = new WebSocket(this.url, { agent: this.agent, headers: { authorization: `Bearer ${this.key}` }, maxPayload: MAX_ANSWER_BYTES });
    this.ws = ws;
    let reason: string | undefined;
    let unauthorised = false;
    ws.on('open', () => {
      this.lastHeard = Date.now();
      this.pingTimer = setInterval(() => this.keepAlive(ws), PING_EVERY_MS);
    });
    ws.on('message', (data, isBinary) => {
      this.lastHeard = Date.now();
      if (isBinary || ws !== this.ws) return;
      const text = Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(data as Buffer[]).toString('utf8');
      if (text.startsWith('{"type":"snapshot"')) this.attempt = 0;
      this.emit({ kind: 'message', text });
    });
    ws.on('unexpected-response', (_req, res) => {
      unauthorised = res.statusCode === 401 || res.statusCode === 403;
      reason = `the relay answered ${res.statusCode ?? 0} to the live socket`;
      ws.terminate();
    });
    ws.on('error', (err) => {
      reason = unreachableReason(err);
    });
    ws.on('close', (code) => this.lost(ws, unauthorised || code === CLOSE_UNAUTHORISED, reason));
  }

  private keepAlive(ws: WebSocket): void {
    if (Date.now() - this.lastHeard > SILENT_FOR_MS) {
      ws.terminate();
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: 'ping' }));
  }

  private lost(ws: WebSocket, unauthorised: boolean, reason: string | undefined): void {
    clearInterval(this.pingTimer);
    if (ws !== this.ws || this.closed) return;
    this.ws = null;
    if (unauthorised) {
      this.emit({ kind: 'state', state: 'unauthorised' });
      return;
    }
    this.emit(reason === undefined ? { kind: 'state', state: 'unreachable' } : { kind: 'state', state: 'unreachable', reason });
    const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** this.attempt);
    this.attempt++;
    this.reconnectTimer = setTimeout(() => this.connect(), delay / 2 + Math.random() * (delay / 2));
  }
}
