import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  Command,
  EventsQuery,
  EventsReply,
  HistoryQuery,
  HistoryReply,
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
} from '@boiler/shared';
import { HttpError, RateLimiter, createHttpApp, registerCsvRoutes, sameKey, targetPath, type HttpApp, type Logger } from '@boiler/service';
import type { AgentFacade, CommandRefusalCode, EventQuery } from '../facade.js';

export interface ApiOptions {
  apiKey: string | undefined;
  /** Largest request body; commands are small. */
  bodyLimit?: number;
  /** Requests per second and burst per client address; `now` is the limiter's clock in ms (tests stop it). */
  rate?: { perSecond: number; burst: number; now?: () => number };
  /** Serve HTTPS (and wss on /ws) with this pair: always off loopback. */
  tls?: { cert: string; key: string };
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route changes the house: it needs the key, and there is no such route without one. */
    needsKey?: boolean;
  }
}

const ZoneParams = z.object({ zone: z.string() });

/**
 * The agent's REST API: the same read shapes as the relay's, commands with a bearer key. The link
 * to the relay (`/ws`) is an upgrade on `app.server`, taken by the LinkServer.
 */
export function createApiServer(agent: AgentFacade, options: ApiOptions, log: Logger): HttpApp {
  const limiter = new RateLimiter(options.rate?.perSecond ?? 20, options.rate?.burst ?? 40, options.rate?.now);
  const app = createHttpApp({ bodyLimit: options.bodyLimit ?? 16 * 1024, tls: options.tls, refusalLogLevel: 'info' }, log);

  function authorised(req: FastifyRequest): boolean {
    if (options.apiKey === undefined) return false;
    const m = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    return m !== null && sameKey(m[1] as string, options.apiKey);
  }

  // Before the body is read: a client over its rate or without the key is refused unheard.
  app.addHook('onRequest', async (req) => {
    if (!targetPath(req.raw.url).startsWith('/api/')) return;
    if (!limiter.take(req.socket.remoteAddress ?? 'unknown')) throw new HttpError(429, 'rate_limited', 'too many requests; slow down');
    // Reads say whether the house is empty, so they need the key too when one is set.
    if (options.apiKey !== undefined && !authorised(req)) throw new HttpError(401, 'unauthorised', 'missing or wrong bearer key');
    if (req.routeOptions.config.needsKey === true && options.apiKey === undefined) {
      throw new HttpError(401, 'unauthorised', 'this agent has no API_KEY configured, so it takes no commands');
    }
  });

  app.setNotFoundHandler((req) => {
    throw new HttpError(404, 'not_found', `no route ${req.method} ${targetPath(req.raw.url)}`);
  });

  // GET routes answer HEAD as well, without the body: a probe's way of asking.
  app.get('/health', () => agent.health());
  app.get('/api/zones', { schema: { response: { 200: ZonesReply } } }, () => ({ zones: agent.zones() }));
  app.get('/api/zones/:zone', { schema: { params: ZoneParams, response: { 200: ZoneReply } } }, (req) => {
    const zone = agent.zones().find((z) => z.zone === req.params.zone);
    if (zone === undefined) throw new HttpError(404, 'unknown_zone', `no zone ${req.params.zone}`);
    return zone;
  });
  app.get('/api/zones/:zone/history', { schema: { params: ZoneParams, querystring: HistoryQuery, response: { 200: HistoryReply } } }, (req) => {
    const zone = req.params.zone;
    if (!agent.zones().some((z) => z.zone === zone)) throw new HttpError(404, 'unknown_zone', `no zone ${zone}`);
    const window = historyWindow(req.query, agent.now());
    if (!window.ok) throw new HttpError(400, 'invalid_query', window.message);
    return { zone, from: window.from, to: window.to, points: agent.history(zone, window.from, window.to, window.points) };
  });
  app.get('/api/zones/:zone/stats', { schema: { params: ZoneParams, querystring: ZoneStatsQuery, response: { 200: ZoneStatsReply } } }, (req) => {
    const zone = req.params.zone;
    if (!agent.zones().some((z) => z.zone === zone)) throw new HttpError(404, 'unknown_zone', `no zone ${zone}`);
    const window = statsWindow(req.query, agent.now(), agent.system().time_zone);
    if (!window.ok) throw new HttpError(400, 'invalid_query', window.message);
    return agent.zoneStats(zone, window.from, window.to);
  });
  app.get('/api/system', { schema: { response: { 200: SystemReply } } }, () => agent.system());
  app.get('/api/events', { schema: { querystring: EventsQuery, response: { 200: EventsReply } } }, (req) => ({ events: agent.events(eventQuery(req.query)) }));
  app.get('/api/schedules', { schema: { response: { 200: SchedulesReply } } }, () => ({ schedules: agent.schedules() }));
  app.get('/api/schedules/:zone', { schema: { params: ZoneParams, response: { 200: ScheduleReply } } }, (req) => {
    const s = agent.schedules().find((x) => x.zone === req.params.zone);
    if (s === undefined) throw new HttpError(404, 'unknown_schedule', `no schedule for ${req.params.zone}`);
    return s;
  });
  app.get('/api/presets', { schema: { response: { 200: PresetsReply } } }, () => ({ presets: agent.presets() }));
  registerCsvRoutes(app, {
    events: (q) => agent.events(q),
    history: (zone, from, to, points) => agent.history(zone, from, to, points),
    hasZone: (zone) => agent.zones().some((z) => z.zone === zone),
    timeZone: () => agent.system().time_zone,
    now: () => agent.now(),
  });

  app.post('/api/commands', { schema: { body: Command }, config: { needsKey: true, bodyRefusal: { code: 'invalid_command', what: 'command' } } }, (req) => {
    const answer = agent.execute(req.body, `api-key@${req.socket.remoteAddress ?? 'unknown'}`);
    if (answer.kind === 'refused') throw new HttpError(refusalStatus(answer.code), answer.code, answer.message);
    return { result: answer.result, replayed: answer.replayed };
  });

  // Fault injection and the simulated clock exist only on the simulator: on the Pi these are 404.
  const sim = agent.simulator;
  if (sim !== undefined) {
    app.get('/api/sim/house', () => sim.house());
    app.get('/api/sim/faults', () => ({ faults: sim.faults() }));
    app.post('/api/sim/clock', { config: { needsKey: true } }, (req) => {
      const r = sim.stepClock(req.body);
      if (!r.ok) throw new HttpError(400, 'invalid_clock_step', r.message);
      return { ok: true, wall: r.wall };
    });
    app.post('/api/sim/faults', { config: { needsKey: true } }, (req) => {
      const r = sim.inject(req.body);
      if (!r.ok) throw new HttpError(400, 'invalid_fault', r.message);
      return { ok: true };
    });
    app.delete('/api/sim/faults', { config: { needsKey: true } }, () => {
      sim.clear();
      return { ok: true };
    });
  }

  return app;
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
