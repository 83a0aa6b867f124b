import { createServer as createHttpsServer } from 'node:https';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { Command, EventsQuery, MAX_HISTORY_POINTS, safeParseUnknown } from '@boiler/shared';
import { HttpError, RateLimiter, historyParams, parseQuery, pathSegments, readJsonBody, requestUrl, sameKey, sendError, sendJson, targetPath, type Logger } from '@boiler/service';
import type { AgentFacade, CommandRefusalCode, EventQuery } from '../facade.js';

export interface ApiOptions {
  apiKey: string | undefined;
  /** Largest request body; commands are small. */
  bodyLimit?: number;
  rate?: { perSecond: number; burst: number };
  /** Serve HTTPS (and wss on /ws) with this pair: always off loopback. */
  tls?: { cert: string; key: string };
}

/** The agent's REST API: the same read shapes as the relay's, commands with a bearer key. */
export function createApiServer(agent: AgentFacade, options: ApiOptions, log: Logger): Server {
  const bodyLimit = options.bodyLimit ?? 16 * 1024;
  const limiter = new RateLimiter(options.rate?.perSecond ?? 20, options.rate?.burst ?? 40);
  const serverOptions = { requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8 * 1024 };
  // An https.Server is an http.Server with TLS beneath: the routes and the /ws upgrade are the same.
  const create = (handler: (req: IncomingMessage, res: ServerResponse) => void): Server =>
    options.tls === undefined ? createServer(serverOptions, handler) : (createHttpsServer({ ...serverOptions, ...options.tls }, handler) as unknown as Server);
  const server = create((req, res) => {
    const requestId = randomUUID();
    // The path only, never the query string: a client that puts its key in the URL must not find it in the log.
    const path = targetPath(req.url);
    handle(req, res, requestId).catch((err: unknown) => {
      if (err instanceof HttpError) {
        if (err.status >= 500) log.error({ err, requestId }, 'request failed');
        else log.info({ requestId, status: err.status, code: err.code, path }, err.message);
        if (!res.headersSent) sendError(res, err, requestId);
        else res.destroy();
        return;
      }
      log.error({ err, requestId, path }, 'unexpected error in request');
      if (!res.headersSent) sendError(res, new HttpError(500, 'internal', 'internal error'), requestId);
      else res.destroy();
    });
  });
  server.maxHeadersCount = 50;
  server.on('clientError', (err, socket) => {
    log.debug({ err: err.message }, 'client error');
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nconnection: close\r\n\r\n');
    else socket.destroy();
  });

  function authorised(req: IncomingMessage): boolean {
    if (options.apiKey === undefined) return false;
    const header = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(header);
    return m !== null && sameKey(m[1] as string, options.apiKey);
  }

  function requireKey(req: IncomingMessage): string {
    if (options.apiKey === undefined) throw new HttpError(401, 'unauthorised', 'this agent has no API_KEY configured, so it takes no commands');
    if (!authorised(req)) throw new HttpError(401, 'unauthorised', 'missing or wrong bearer key', {});
    return 'api-key';
  }

  async function handle(req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> {
    const client = req.socket.remoteAddress ?? 'unknown';
    const url = requestUrl(req);
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // HEAD answers as GET without the body (Node drops it): a probe's way of asking.
    if (path === '/health' && (method === 'GET' || method === 'HEAD')) return sendJson(res, 200, agent.health());
    if (!path.startsWith('/api/')) throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
    if (!limiter.take(client)) throw new HttpError(429, 'rate_limited', 'too many requests; slow down', {});
    // Reads say whether the house is empty, so they need the key too when one is set.
    if (options.apiKey !== undefined && !authorised(req)) throw new HttpError(401, 'unauthorised', 'missing or wrong bearer key');

    const parts = pathSegments(path); // ['api', ...]
    const [, resource, id, sub] = parts;
    if (method === 'GET') {
      if (resource === 'zones' && id === undefined) return sendJson(res, 200, { zones: agent.zones() });
      if (resource === 'zones' && id !== undefined && sub === undefined) {
        const zone = agent.zones().find((z) => z.zone === id);
        if (zone === undefined) throw new HttpError(404, 'unknown_zone', `no zone ${id}`);
        return sendJson(res, 200, zone);
      }
      if (resource === 'zones' && id !== undefined && sub === 'history') {
        if (!agent.zones().some((z) => z.zone === id)) throw new HttpError(404, 'unknown_zone', `no zone ${id}`);
        const { from, to, points } = historyParams(url, agent.now(), MAX_HISTORY_POINTS);
        return sendJson(res, 200, { zone: id, from, to, points: agent.history(id, from, to, points) });
      }
      if (resource === 'system' && id === undefined) return sendJson(res, 200, agent.system());
      if (resource === 'events' && id === undefined) return sendJson(res, 200, { events: agent.events(eventQuery(parseQuery(EventsQuery, url))) });
      if (resource === 'schedules' && id === undefined) return sendJson(res, 200, { schedules: agent.schedules() });
      if (resource === 'schedules' && id !== undefined) {
        const s = agent.schedules().find((x) => x.zone === id);
        if (s === undefined) throw new HttpError(404, 'unknown_schedule', `no schedule for ${id}`);
        return sendJson(res, 200, s);
      }
      if (resource === 'presets' && id === undefined) return sendJson(res, 200, { presets: agent.presets() });
    }
    if (method === 'POST' && resource === 'commands' && id === undefined) {
      const actor = requireKey(req);
      const body = await readJsonBody(req, bodyLimit);
      const parsed = safeParseUnknown(Command, body, 'command');
      if (!parsed.ok) throw new HttpError(400, 'invalid_command', parsed.error.message);
      const answer = agent.execute(parsed.value, `${actor}@${client}`);
      if (answer.kind === 'refused') throw new HttpError(refusalStatus(answer.code), answer.code, answer.message);
      return sendJson(res, 200, { result: answer.result, replayed: answer.replayed });
    }
    if (resource === 'sim' && sub === undefined && method === 'GET' && agent.simulator !== undefined) {
      if (id === 'house') return sendJson(res, 200, agent.simulator.house());
      if (id === 'faults') return sendJson(res, 200, { faults: agent.simulator.faults() });
    }
    if (resource === 'sim' && id === 'clock' && sub === undefined && method === 'POST' && agent.simulator !== undefined) {
      requireKey(req);
      const r = agent.simulator.stepClock(await readJsonBody(req, bodyLimit));
      if (!r.ok) throw new HttpError(400, 'invalid_clock_step', r.message);
      return sendJson(res, 200, { ok: true, wall: r.wall });
    }
    if (resource === 'sim' && id === 'faults' && agent.simulator !== undefined) {
      requireKey(req);
      if (method === 'POST') {
        const spec = await readJsonBody(req, bodyLimit);
        const r = agent.simulator.inject(spec);
        if (!r.ok) throw new HttpError(400, 'invalid_fault', r.message);
        return sendJson(res, 200, { ok: true });
      }
      if (method === 'DELETE') {
        agent.simulator.clear();
        return sendJson(res, 200, { ok: true });
      }
    }
    void requestId;
    throw new HttpError(404, 'not_found', `no route ${method} ${path}`);
  }

  return server;
}

/** The shared events query in the facade's terms. */
export function eventQuery(q: EventsQuery): EventQuery {
  return {
    limit: q.limit,
    ...(q.zone === undefined ? {} : { zone: q.zone }),
    ...(q.event === undefined ? {} : { event: q.event }),
    ...(q.from === undefined ? {} : { from: q.from }),
    ...(q.to === undefined ? {} : { to: q.to }),
    ...(q.before_seq === undefined ? {} : { beforeSeq: q.before_seq }),
  };
}

/** A refusal in HTTP terms: retry later, a used id, too late, no such zone, or a command the state does not allow. */
export function refusalStatus(code: CommandRefusalCode): number {
  switch (code) {
    case 'unavailable':
      return 503;
    case 'id_conflict':
      return 409;
    case 'expired':
      return 410;
    case 'unknown_zone':
      return 404;
    default:
      return 422;
  }
}
