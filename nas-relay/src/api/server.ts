import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { HttpError, RateLimiter, intParam, sameKey, sendError, sendJson, type Logger } from '@boiler/service';
import { EventKind } from '@boiler/shared';
import type { Replica, LagWindow } from '../replica/index.js';
import type { AgentLink } from '../link/agent-link.js';

export interface RelayParts {
  replica: Replica;
  link: AgentLink;
  lagByKind: { urgent: LagWindow; sample: LagWindow };
}

export interface RelayApiOptions {
  apiKey: string | undefined;
  /** The built Vue UI (electron-vite's renderer output), served at / as the browser fallback. */
  uiDir?: string;
  rate?: { perSecond: number; burst: number };
}

/** The relay's API for the apps: answered from the replica, never waiting on the Pi. */
export function createRelayServer(parts: RelayParts, options: RelayApiOptions, log: Logger): Server {
  const limiter = new RateLimiter(options.rate?.perSecond ?? 50, options.rate?.burst ?? 100);
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8 * 1024 }, (req, res) => {
    const requestId = randomUUID();
    handle(req, res).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
      if (e.status >= 500) log.error({ err, requestId }, 'request failed');
      if (!res.headersSent) sendError(res, e, requestId);
      else res.destroy();
    });
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://relay');
    const path = url.pathname;
    const { replica, link } = parts;
    if (path === '/health' && req.method === 'GET') {
      const lag = replica.lag();
      return sendJson(res, 200, {
        status: link.connected ? 'ok' : 'degraded',
        pi_connected: link.connected,
        cache_hit_rate: null,
        replica_lag_s: lag.lastMs === null ? null : lag.lastMs / 1000,
        last_seq: replica.appliedSeq(),
      });
    }
    if (!path.startsWith('/api/')) {
      if (req.method === 'GET' || req.method === 'HEAD') return serveUi(res, path, options.uiDir);
      throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`);
    }
    if (!limiter.take(req.socket.remoteAddress ?? 'unknown')) throw new HttpError(429, 'rate_limited', 'too many requests; slow down');
    if (options.apiKey !== undefined) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (m === null || !sameKey(m[1] as string, options.apiKey)) throw new HttpError(401, 'unauthorised', 'missing or wrong bearer key');
    }
    const [, resource, id, sub] = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (req.method === 'GET') {
      if (resource === 'link' && id === undefined) {
        return sendJson(res, 200, {
          connected: link.connected,
          applied_seq: replica.appliedSeq(), link: link.stats,
          replica: replica.stats,
          lag: replica.lag(),
          lag_by_kind: { urgent: parts.lagByKind.urgent.snapshot(), sample: parts.lagByKind.sample.snapshot() },
        });
      }
      if (resource === 'zones' && id === undefined) return sendJson(res, 200, { zones: replica.zones() });
      if (resource === 'zones' && id !== undefined && sub === undefined) {
        const zone = replica.zone(id);
        if (zone === null) throw new HttpError(404, 'unknown_zone', `no zone ${id}`);
        return sendJson(res, 200, zone);
      }
      if (resource === 'zones' && id !== undefined && sub === 'history') {
        const to = intParam(url, 'to', { min: 0, max: 8.64e15 }) ?? Date.now();
        const from = intParam(url, 'from', { min: 0, max: 8.64e15 }) ?? to - 24 * 3600_000;
        const points = intParam(url, 'points', { min: 1, max: 2000 }) ?? 500;
        if (from >= to) throw new HttpError(400, 'invalid_query', 'from must be before to');
        return sendJson(res, 200, { zone: id, from, to, points: replica.history(id, from, to, points) });
      }
      if (resource === 'system' && id === undefined) {
        const system = replica.system();
        if (system === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
        return sendJson(res, 200, system);
      }
      if (resource === 'events' && id === undefined) {
        const limit = intParam(url, 'limit', { min: 1, max: 2000 }) ?? 200;
        const event = url.searchParams.get('event');
        const q: Parameters<Replica['queryEvents']>[0] = { limit };
        const zone = url.searchParams.get('zone');
        if (zone !== null && zone !== '') q.zone = zone;
        if (event !== null && event !== '') {
          const e = EventKind.safeParse(event);
          if (!e.success) throw new HttpError(400, 'invalid_query', `event must be one of ${EventKind.options.join(', ')}`);
          q.event = e.data;
        }
        const before = intParam(url, 'before_seq', { min: 1, max: Number.MAX_SAFE_INTEGER });
        if (before !== undefined) q.beforeSeq = before;
        return sendJson(res, 200, { events: replica.queryEvents(q) });
      }
    }
    throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`);
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
