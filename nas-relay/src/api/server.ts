import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { HttpError, RateLimiter, commandTraceOn, historyParams, intParam, monotonicMicros, parseQuery, pathSegments, readJsonBody, requestUrl, sameKey, refuseUpgrade, sendError, sendJson, targetPath, traceCommand, type Logger } from '@boiler/service';
import { CommandState, EventsQuery, MAX_HISTORY_POINTS, safeParseUnknown } from '@boiler/shared';
import { CommandRequest, CommandConflictError } from '../queue/index.js';
import type { Relay } from '../relay.js';
import { serveUi } from './ui.js';
import { isLivePath } from './live.js';

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
    // For the bench's command breakdown only (LOG_LEVEL=trace): when the request reached the relay.
    const arrivedUs = commandTraceOn(log) ? monotonicMicros() : undefined;
    handle(req, res, arrivedUs).catch((err: unknown) => {
      const e = err instanceof HttpError ? err : new HttpError(500, 'internal', 'internal error');
      if (e.status >= 500) log.error({ err, requestId }, 'request failed');
      // The path only: a query string may carry what a client should not have put in a URL.
      else log.debug({ requestId, status: e.status, code: e.code, path: targetPath(req.url) }, e.message);
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
  // Node leaves an upgrade no listener takes open; only the live socket (LiveHub) takes one.
  server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    if (isLivePath(req.url)) return;
    refuseUpgrade(socket);
  });

  function client(req: IncomingMessage): string {
    return `api-key@${req.socket.remoteAddress ?? 'unknown'}`;
  }

  async function handle(req: IncomingMessage, res: ServerResponse, arrivedUs: number | undefined): Promise<void> {
    const url = requestUrl(req);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // HEAD answers as GET without the body (Node drops it), so a HEAD probe sees health, not the UI.
    const read = method === 'GET' || method === 'HEAD';
    if (method === 'OPTIONS') throw new HttpError(403, 'cors_closed', 'cross-origin requests are not allowed');
    if (path === '/health' && read) return sendJson(res, 200, relay.health());
    if (path === '/metrics' && read) {
      const text = await relay.metrics.text();
      res.writeHead(200, { 'content-type': relay.metrics.contentType });
      res.end(text);
      return;
    }
    if (!path.startsWith('/api/')) {
      if (read) return serveUi(res, path, options.uiDir);
      throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
    }
    if (!limiter.take(req.socket.remoteAddress ?? 'unknown')) throw new HttpError(429, 'rate_limited', 'too many requests; slow down');
    if (options.apiKey !== undefined) {
      const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
      if (m === null || !sameKey(m[1] as string, options.apiKey)) throw new HttpError(401, 'unauthorised', 'missing or wrong bearer key');
    }
    const [, resource, id, sub] = pathSegments(path);
    if (resource === 'commands') return commands(req, res, url, method, id, sub, arrivedUs);
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
          const { from, to, points } = historyParams(url, Date.now(), MAX_HISTORY_POINTS);
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
        const q = parseQuery(EventsQuery, url);
        return sendJson(res, 200, { events: await relay.events(eventQuery(q)) });
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

  async function commands(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    method: string,
    id: string | undefined,
    sub: string | undefined,
    arrivedUs: number | undefined,
  ): Promise<void> {
    const { queue } = relay;
    if (id === undefined && method === 'POST') {
      const body = await readJsonBody(req, bodyLimit);
      const parsed = safeParseUnknown(CommandRequest, body, 'command');
      if (!parsed.ok) throw new HttpError(400, 'invalid_command', parsed.error.message);
      if (parsed.value.id !== undefined) traceCommand(log, parsed.value.id, 'request', arrivedUs);
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

/** The shared events query in the replica's terms. */
function eventQuery(q: EventsQuery): Parameters<Relay['events']>[0] {
  return {
    limit: q.limit,
    ...(q.zone === undefined ? {} : { zone: q.zone }),
    ...(q.event === undefined ? {} : { event: q.event }),
    ...(q.from === undefined ? {} : { from: q.from }),
    ...(q.to === undefined ? {} : { to: q.to }),
    ...(q.before_seq === undefined ? {} : { beforeSeq: q.before_seq }),
  };
}
