import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { randomUUID } from 'node:crypto';
import { HttpError, RateLimiter, intParam, readJsonBody, sameKey, sendError, sendJson, type Logger } from '@boiler/service';
import { CommandState, EventKind, safeParseUnknown } from '@boiler/shared';
import { CommandRequest, CommandConflictError } from '../queue/index.js';
import type { Relay } from '../relay.js';

export interface RelayApiOptions {
  apiKey: string | undefined;
  /** The built Vue UI (electron-vite's renderer output), served at / as the browser fallback. */
  uiDir?: string;
  rate?: { perSecond: number; burst: number };
  bodyLimit?: number;
  /** HTTPS when given. */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

/** The relay's API for the apps: answered from the cache and replica, never waiting on the Pi. */
export function createRelayServer(relay: Relay, options: RelayApiOptions, log: Logger): Server {
  const limiter = new RateLimiter(options.rate?.perSecond ?? 50, options.rate?.burst ?? 100);
  const bodyLimit = options.bodyLimit ?? 16 * 1024;
  const serverOptions = { requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8 * 1024 };
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
      if (e.status >= 500) log.error({ err, requestId }, 'request failed');
      else log.debug({ requestId, status: e.status, code: e.code, path: req.url }, e.message);
      if (!res.headersSent) sendError(res, e, requestId);
      else res.destroy();
    });
  };
  const server: Server =
    options.tls === undefined ? createHttpServer(serverOptions, handler) : (createHttpsServer({ ...serverOptions, ...options.tls }, handler) as unknown as Server);
  server.maxHeadersCount = 50;
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  function client(req: IncomingMessage): string {
    return `api-key@${req.socket.remoteAddress ?? 'unknown'}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://relay');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    if (method === 'OPTIONS') throw new HttpError(403, 'cors_closed', 'cross-origin requests are not allowed');
    if (path === '/health' && method === 'GET') return sendJson(res, 200, relay.health());
    if (path === '/metrics' && method === 'GET') {
      const text = await relay.metrics.text();
      res.writeHead(200, { 'content-type': relay.metrics.contentType });
      res.end(text);
      return;
    }
    if (!path.startsWith('/api/')) {
      if (method === 'GET' || method === 'HEAD') return serveUi(res, path, options.uiDir);
      throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
    }
    if (!limiter.take(req.socket.remoteAddress ?? 'unknown')) throw new HttpError(429, 'rate_limited', 'too many requests; slow down');
    if (options.apiKey !== undefined) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (m === null || !sameKey(m[1] as string, options.apiKey)) throw new HttpError(401, 'unauthorised', 'missing or wrong bearer key');
    }
    const [, resource, id, sub] = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (resource === 'commands') return commands(req, res, url, method, id, sub);
    if (method !== 'GET') throw new HttpError(405, 'method_not_allowed', `${method} is not allowed on ${path}`);
    switch (resource) {
      case 'zones': {
        if (id === undefined) return sendJson(res, 200, { zones: await relay.zones() });
        if (sub === undefined) {
          const zone = await relay.zone(id);
          if (zone === null) throw new HttpError(404, 'unknown_zone', `no zone ${id}`);
          return sendJson(res, 200, zone);
        }
        if (sub === 'history') {
          const to = intParam(url, 'to', { min: 0, max: 8.64e15 }) ?? Date.now();
          const from = intParam(url, 'from', { min: 0, max: 8.64e15 }) ?? to - 24 * 3600_000;
          const points = intParam(url, 'points', { min: 1, max: 2000 }) ?? 500;
          if (from >= to) throw new HttpError(400, 'invalid_query', 'from must be before to');
          return sendJson(res, 200, { zone: id, from, to, points: relay.replica.history(id, from, to, points) });
        }
        break;
      }
      case 'system': {
        const system = await relay.system();
        if (system === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
        return sendJson(res, 200, system);
      }
      case 'events': {
        const limit = intParam(url, 'limit', { min: 1, max: 2000 }) ?? 200;
        const q: Parameters<Relay['events']>[0] = { limit };
        const zone = url.searchParams.get('zone');
        if (zone !== null && zone !== '') q.zone = zone;
        const event = url.searchParams.get('event');
        if (event !== null && event !== '') {
          const e = EventKind.safeParse(event);
          if (!e.success) throw new HttpError(400, 'invalid_query', `event must be one of ${EventKind.options.join(', ')}`);
          q.event = e.data;
        }
        const before = intParam(url, 'before_seq', { min: 1, max: Number.MAX_SAFE_INTEGER });
        if (before !== undefined) q.beforeSeq = before;
        return sendJson(res, 200, { events: await relay.events(q) });
      }
      case 'schedules': {
        const settings = relay.replica.settings();
        if (settings === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
        const schedules = [{ zone: 'default', schedule: settings.default_schedule }, ...settings.zone_schedules];
        if (id === undefined) return sendJson(res, 200, { schedules });
        const one = schedules.find((s) => s.zone === id);
        if (one === undefined) throw new HttpError(404, 'unknown_schedule', `no schedule for ${id}`);
        return sendJson(res, 200, one);
      }
      case 'presets': {
        const settings = relay.replica.settings();
        if (settings === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
        return sendJson(res, 200, { presets: settings.presets });
      }
      case 'link':
        return sendJson(res, 200, relay.linkView());
      default:
        break;
    }
    throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
  }

  async function commands(req: IncomingMessage, res: ServerResponse, url: URL, method: string, id: string | undefined, sub: string | undefined): Promise<void> {
    const { queue } = relay;
    if (id === undefined && method === 'POST') {
      const body = await readJsonBody(req, bodyLimit);
      const parsed = safeParseUnknown(CommandRequest, body, 'command');
      if (!parsed.ok) throw new HttpError(400, 'invalid_command', parsed.error.message);
      try {
        const { command } = queue.enqueue(parsed.value, client(req));
        // Stored durably before this answer; it goes to the agent when the link is up.
        return sendJson(res, 202, { id: command.id, state: command.state });
      } catch (err) {
        if (err instanceof CommandConflictError) throw new HttpError(409, 'id_conflict', err.message);
        throw err;
      }
    }
    if (id === undefined && method === 'GET') {
      const stateParam = url.searchParams.get('state');
      const state = stateParam === null ? undefined : CommandState.safeParse(stateParam);
      if (state !== undefined && !state.success) throw new HttpError(400, 'invalid_query', `state must be one of ${CommandState.options.join(', ')}`);
      const limit = intParam(url, 'limit', { min: 1, max: 500 }) ?? 100;
      return sendJson(res, 200, { commands: queue.list({ limit, ...(state === undefined ? {} : { state: state.data }) }) });
    }
    if (id !== undefined) {
      const found = queue.get(id);
      if (found === null) throw new HttpError(404, 'unknown_command', `no command ${id}`);
      if (method === 'GET' && sub === undefined) return sendJson(res, 200, found);
      if (method === 'POST' && sub === 'retry') {
        if (found.state !== 'dead' && found.state !== 'failed') throw new HttpError(409, 'not_retryable', `command ${id} is ${found.state}; only dead or failed commands can be retried`);
        return sendJson(res, 202, queue.retry(id, client(req)));
      }
      if (method === 'DELETE' && sub === undefined) {
        if (found.state !== 'dead') throw new HttpError(409, 'not_discardable', `command ${id} is ${found.state}; only dead commands can be discarded`);
        return sendJson(res, 200, queue.discard(id, client(req)));
      }
    }
    throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here`);
  }

  return server;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
};

const PLACEHOLDER = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Boiler Controller</title></head>
<body><h1>Boiler Controller relay</h1><p>The relay is running. The web UI has not been built here yet
(<code>npm run build</code>); the API is at <code>/api/</code> and health at <code>/health</code>.</p></body></html>`;

/** Serves the built UI from uiDir (single-page app: unknown paths get index.html), or a placeholder. */
function serveUi(res: ServerResponse, path: string, uiDir: string | undefined): void {
  const headers = {
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'content-security-policy': "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
  };
  const index = uiDir === undefined ? undefined : join(uiDir, 'index.html');
  if (uiDir === undefined || index === undefined || !existsSync(index)) {
    res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
    res.end(PLACEHOLDER);
    return;
  }
  // normalize() collapses "..", and the result must still lie inside uiDir.
  const wanted = normalize(join(uiDir, decodeURIComponent(path)));
  let file = wanted.startsWith(uiDir) && existsSync(wanted) && statSync(wanted).isFile() ? wanted : index;
  if (extname(file) === '') file = index;
  res.writeHead(200, { ...headers, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': file === index ? 'no-cache' : 'max-age=3600' });
  res.end(readFileSync(file));
}
