import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { z } from 'zod';
import {
  CommandState,
  EventsQuery,
  EventsReply,
  HistoryQuery,
  HistoryReply,
  NotifyReply,
  PresetsReply,
  ScheduleReply,
  SchedulesReply,
  SystemReply,
  ZoneReply,
  ZonesReply,
  ZoneStatsQuery,
  ZoneStatsReply,
  historyWindow,
  statsWindow,
  wholeNumber,
} from '@boiler/shared';
import { HttpError, RateLimiter, commandTraceOn, createHttpApp, monotonicMicros, refuseUpgrade, registerCsvRoutes, sameKey, targetPath, traceCommand, type HttpApp, type Logger } from '@boiler/service';
import { CommandRequest, CommandConflictError } from '../queue/index.js';
import type { Relay } from '../relay.js';
import fastifyCookie from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { answerWithUi, registerUi } from './ui.js';
import { isLivePath } from './live.js';
import { SESSION_COOKIE, SESSION_TTL_MS, SessionReply, SessionRequest, SessionStore, sessionIdFrom } from './session.js';

export interface RelayApiOptions {
  apiKey: string | undefined;
  /** The built Vue UI (electron-vite's renderer output), served at / as the browser fallback. */
  uiDir?: string;
  rate?: { perSecond: number; burst: number };
  bodyLimit?: number;
  /** HTTPS when given. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** The browsers' sessions (a fresh store when not given); the live socket checks the same store. */
  sessions?: SessionStore;
}

/** The relay's app, with the sessions its cookie names, for the live socket to accept as well. */
export type RelayApp = HttpApp & { readonly sessions: SessionStore };

/** Methods that change something: a cookie alone does not carry them from another origin. */
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Routes that answer without the key: the session routes judge the key or the cookie themselves. */
const SESSION_PATH = '/api/session';

const ZoneParams = z.object({ zone: z.string() });
const CommandParams = z.object({ id: z.string() });
const NotifyChannelParams = z.object({ channel: z.string().min(1).max(64) });

/** `GET /api/commands`: the newest commands, optionally in one state. */
const CommandsQuery = z.object({
  state: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .transform((raw, ctx): CommandState | undefined => {
      if (raw === undefined) return undefined;
      const state = CommandState.safeParse(raw);
      if (state.success) return state.data;
      ctx.addIssue({ code: 'custom', message: `state must be one of ${CommandState.options.join(', ')}` });
      return z.NEVER;
    }),
  limit: wholeNumber('limit', 1, 500).transform((n) => n ?? 100),
});

/**
 * The relay's API for the apps: answered from the cache and replica, never waiting on the Pi.
 * Resolves once the UI's files are registered; the live socket (`/api/live`) is an upgrade on
 * `app.server`, taken by the LiveHub.
 */
export async function createRelayServer(relay: Relay, options: RelayApiOptions, log: Logger): Promise<RelayApp> {
  const sessions = options.sessions ?? new SessionStore();
  const limiter = new RateLimiter(options.rate?.perSecond ?? 50, options.rate?.burst ?? 100);
  const app = createHttpApp({ bodyLimit: options.bodyLimit ?? 16 * 1024, tls: options.tls, refusalLogLevel: 'debug' }, log);
  // For the bench's command breakdown only (LOG_LEVEL=trace): when each request reached the relay.
  const arrivals = new WeakMap<IncomingMessage, number>();
  const traced = commandTraceOn(log);

  // Node leaves an upgrade no listener takes open; only the live socket (LiveHub) takes one.
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex) => {
    if (isLivePath(req.url)) return;
    refuseUpgrade(socket);
  });

  app.addHook('onRequest', async (req) => {
    if (traced) arrivals.set(req.raw, monotonicMicros());
    if (req.method === 'OPTIONS') throw new HttpError(403, 'cors_closed', 'cross-origin requests are not allowed');
    if (!targetPath(req.raw.url).startsWith('/api/')) return;
    if (!limiter.take(req.socket.remoteAddress ?? 'unknown')) throw new HttpError(429, 'rate_limited', 'too many requests; slow down');
    // A browser sends its cookie wherever the request comes from; a change it carries must come from the relay's own page.
    // Read from the header here: this hook runs before @fastify/cookie's, which fills req.cookies.
    const sessionId = sessionIdFrom(req.headers.cookie);
    if (STATE_CHANGING.has(req.method) && sessionId !== undefined && req.headers.origin !== undefined && req.headers.origin !== ownOrigin(req)) {
      throw new HttpError(403, 'cross_origin', `a ${req.method} with the session cookie from ${req.headers.origin.slice(0, 100)} is refused: only this relay's own pages may change anything with it`);
    }
    if (req.routeOptions.url === SESSION_PATH || options.apiKey === undefined) return;
    if (bearerOk(req) || sessions.expiresAt(sessionId) !== null) return;
    throw new HttpError(401, 'unauthorised', 'missing or wrong bearer key or session');
  });

  function bearerOk(req: FastifyRequest): boolean {
    if (options.apiKey === undefined) return true;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m !== null && sameKey(m[1] as string, options.apiKey);
  }

  /** The origin a page this relay served has: the scheme it is served on and the host the browser asked for. */
  function ownOrigin(req: FastifyRequest): string {
    return `${options.tls === undefined ? 'http' : 'https'}://${req.headers.host ?? ''}`;
  }

  app.setNotFoundHandler((req, reply) => {
    const path = targetPath(req.raw.url);
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (path.startsWith('/api/')) {
      if (!read) throw new HttpError(405, 'method_not_allowed', `${req.method} is not allowed on ${path}`);
      throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`);
    }
    // Any other page is the UI's (a single-page app routes it itself).
    if (read) return answerWithUi(reply, path, options.uiDir);
    throw new HttpError(404, 'not_found', `no route ${req.method} ${path}`);
  });

  await app.register(fastifyCookie);
  await registerUi(app, options.uiDir);

  // Sessions for the web UI: the key once, then an HttpOnly cookie the page's script never sees.
  const cookieOptions = { httpOnly: true, sameSite: 'strict', path: '/', secure: options.tls !== undefined } as const;
  app.post(SESSION_PATH, { schema: { body: SessionRequest }, config: { bodyRefusal: { code: 'invalid_session_request', what: 'session request' } } }, (req, reply) => {
    if (options.apiKey !== undefined && !sameKey(req.body.key, options.apiKey)) throw new HttpError(401, 'unauthorised', 'wrong key');
    const session = sessions.open();
    return reply
      .setCookie(SESSION_COOKIE, session.id, { ...cookieOptions, maxAge: Math.floor(SESSION_TTL_MS / 1000) })
      .code(204)
      .send();
  });
  app.get(SESSION_PATH, { schema: { response: { 200: SessionReply } } }, (req) => {
    const expiresAt = sessions.expiresAt(req.cookies[SESSION_COOKIE]);
    if (expiresAt === null) throw new HttpError(401, 'no_session', 'no session: sign in with POST /api/session');
    return { expires_at: expiresAt };
  });
  app.delete(SESSION_PATH, (req, reply) => {
    sessions.close(req.cookies[SESSION_COOKIE]);
    return reply.clearCookie(SESSION_COOKIE, cookieOptions).code(204).send();
  });

  // GET routes answer HEAD as well, without the body: a probe sees health, not the UI.
  app.get('/health', () => relay.health());
  app.get('/metrics', async (_req, reply) => reply.type(relay.metrics.contentType).send(await relay.metrics.text()));

  app.get('/api/zones', { schema: { response: { 200: ZonesReply } } }, async () => ({ zones: await relay.zones() }));
  app.get('/api/zones/:zone', { schema: { params: ZoneParams, response: { 200: ZoneReply } } }, async (req) => {
    const zone = await relay.zone(req.params.zone);
    if (zone === null) throw new HttpError(404, 'unknown_zone', `no zone ${req.params.zone}`);
    return zone;
  });
  app.get('/api/zones/:zone/history', { schema: { params: ZoneParams, querystring: HistoryQuery, response: { 200: HistoryReply } } }, async (req) => {
    const zone = req.params.zone;
    // As the agent answers: a zone it does not have is 404, not an empty history.
    if ((await relay.zone(zone)) === null) throw new HttpError(404, 'unknown_zone', `no zone ${zone}`);
    const window = historyWindow(req.query, Date.now());
    if (!window.ok) throw new HttpError(400, 'invalid_query', window.message);
    return { zone, from: window.from, to: window.to, points: relay.replica.history(zone, window.from, window.to, window.points) };
  });
  app.get('/api/zones/:zone/stats', { schema: { params: ZoneParams, querystring: ZoneStatsQuery, response: { 200: ZoneStatsReply } } }, async (req) => {
    const zone = req.params.zone;
    if ((await relay.zone(zone)) === null) throw new HttpError(404, 'unknown_zone', `no zone ${zone}`);
    const system = await relay.system();
    if (system === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
    // The site's clock may run ahead of the relay's (a simulated one does): its newest event is as late as it has said.
    const now = Math.max(Date.now(), relay.replica.knownUntil() ?? 0);
    const window = statsWindow(req.query, now, system.time_zone);
    if (!window.ok) throw new HttpError(400, 'invalid_query', window.message);
    return relay.replica.zoneStats(zone, window.from, window.to, system.time_zone);
  });
  app.get('/api/system', { schema: { response: { 200: SystemReply } } }, async () => {
    const system = await relay.system();
    if (system === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
    return system;
  });
  app.get('/api/events', { schema: { querystring: EventsQuery, response: { 200: EventsReply } } }, async (req) => ({ events: await relay.events(eventQuery(req.query)) }));
  const schedules = () => {
    const settings = relay.replica.settings();
    if (settings === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
    return [{ zone: 'default', schedule: settings.default_schedule }, ...settings.zone_schedules];
  };
  app.get('/api/schedules', { schema: { response: { 200: SchedulesReply } } }, () => ({ schedules: schedules() }));
  app.get('/api/schedules/:zone', { schema: { params: ZoneParams, response: { 200: ScheduleReply } } }, (req) => {
    const one = schedules().find((s) => s.zone === req.params.zone);
    if (one === undefined) throw new HttpError(404, 'unknown_schedule', `no schedule for ${req.params.zone}`);
    return one;
  });
  app.get('/api/presets', { schema: { response: { 200: PresetsReply } } }, () => {
    const settings = relay.replica.settings();
    if (settings === null) throw new HttpError(503, 'no_data_yet', 'the relay has not heard from the agent yet');
    return { presets: settings.presets };
  });
  app.get('/api/link', () => relay.linkView());
  // Notifications: the channels (secrets masked, delivery counts) and a test notice per channel.
  app.get('/api/notify', { schema: { response: { 200: NotifyReply } } }, () => relay.notifyView());
  app.post('/api/notify/channels/:channel/test', { schema: { params: NotifyChannelParams } }, (req, reply) => {
    const queued = relay.testNotice(req.params.channel);
    if (queued === null) throw new HttpError(404, 'unknown_channel', `no notification channel named ${req.params.channel.slice(0, 40)}`);
    return reply.code(202).send({ queued: true, notice_id: queued.id });
  });
  // The exports read the replica itself (the cache holds pages of the JSON route, not a whole log).
  registerCsvRoutes(app, {
    events: (q) => relay.replica.queryEvents(q),
    history: (zone, from, to, points) => relay.replica.history(zone, from, to, points),
    hasZone: async (zone) => (await relay.zone(zone)) !== null,
    timeZone: async () => (await relay.system())?.time_zone ?? null,
    now: () => Date.now(),
  });

  const client = (req: { socket: { remoteAddress?: string | undefined } }) => `api-key@${req.socket.remoteAddress ?? 'unknown'}`;
  const { queue } = relay;
  app.post('/api/commands', { schema: { body: CommandRequest }, config: { bodyRefusal: { code: 'invalid_command', what: 'command' } } }, async (req, reply) => {
    if (req.body.id !== undefined) traceCommand(log, req.body.id, 'request', arrivals.get(req.raw));
    try {
      const { command } = queue.enqueue(req.body, client(req));
      // On the disk before this answer (its fsync runs while the link takes it to the agent).
      await queue.durable();
      return reply.code(202).send({ id: command.id, state: command.state });
    } catch (err) {
      if (err instanceof CommandConflictError) throw new HttpError(409, 'id_conflict', err.message);
      throw err;
    }
  });
  app.get('/api/commands', { schema: { querystring: CommandsQuery } }, (req) => ({
    commands: queue.list({ limit: req.query.limit, ...(req.query.state === undefined ? {} : { state: req.query.state }) }),
  }));
  const found = (id: string) => {
    const command = queue.get(id);
    if (command === null) throw new HttpError(404, 'unknown_command', `no command ${id}`);
    return command;
  };
  app.get('/api/commands/:id', { schema: { params: CommandParams } }, (req) => found(req.params.id));
  app.post('/api/commands/:id/retry', { schema: { params: CommandParams } }, async (req, reply) => {
    const { id } = req.params;
    const command = found(id);
    if (command.state !== 'dead' && command.state !== 'failed') throw new HttpError(409, 'not_retryable', `command ${id} is ${command.state}; only dead or failed commands can be retried`);
    const requeued = queue.retry(id, client(req));
    await queue.durable();
    return reply.code(202).send(requeued);
  });
  app.delete('/api/commands/:id', { schema: { params: CommandParams } }, async (req) => {
    const { id } = req.params;
    const command = found(id);
    if (command.state !== 'dead') throw new HttpError(409, 'not_discardable', `command ${id} is ${command.state}; only dead commands can be discarded`);
    const discarded = queue.discard(id, client(req));
    await queue.durable();
    return discarded;
  });

  return Object.assign(app, { sessions }) as RelayApp;
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
