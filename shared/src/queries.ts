import { z } from 'zod';
import { EventEntry, EventKind, HistoryPoint, Preset, SystemState, WeeklySchedule, ZoneName, ZoneState } from './models.js';
import { siteDayOf } from './site-days.js';

// The query strings of the read routes the agent and the relay both serve, parsed by one schema
// so the two cannot drift. Values arrive as a query parser gives them: a string, an array when a
// name is repeated, or nothing.

/** Most events one query returns. */
export const MAX_EVENTS = 2000;
/** Most points one history query returns. */
export const MAX_HISTORY_POINTS = 2000;
/** The latest instant a query may name: the end of JavaScript's Date range, in epoch ms. */
export const MAX_QUERY_TIME = 8.64e15;
/** The window a history query covers when it names no `from`. */
export const DEFAULT_HISTORY_MS = 24 * 3600_000;

const QueryValue = z.union([z.string(), z.array(z.string())]).optional();

/** One value of a query parameter, '' as absent; an issue naming it when it is given twice. */
function single(name: string) {
  return QueryValue.transform((raw, ctx): string | undefined => {
    if (Array.isArray(raw)) {
      if (raw.length > 1) {
        ctx.addIssue({ code: 'custom', message: `${name} is given ${raw.length} times; give it once` });
        return z.NEVER;
      }
      raw = raw[0];
    }
    return raw === undefined || raw === '' ? undefined : raw;
  });
}

/** An optional integer query parameter within bounds; the issue names it and its range. */
export function wholeNumber(name: string, min: number, max: number) {
  return single(name).transform((raw, ctx): number | undefined => {
    if (raw === undefined) return undefined;
    // Plain decimal digits only: Number() would also take 1e3, 0x10, " 5" and "5.0".
    const n = /^-?\d{1,16}$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `${name} must be an integer from ${min} to ${max}` });
      return z.NEVER;
    }
    return n;
  });
}

/** `event`: one kind, or several joined by commas (`ON,OFF,ALERT,COMMAND`: the log without its samples). */
const eventKind = single('event').transform((raw, ctx): EventKind | EventKind[] | undefined => {
  if (raw === undefined) return undefined;
  const names = raw.split(',');
  const kinds: EventKind[] = [];
  for (const name of names) {
    const e = EventKind.safeParse(name);
    if (!e.success) {
      ctx.addIssue({ code: 'custom', message: `event must be one of ${EventKind.options.join(', ')}, or several of them joined by commas` });
      return z.NEVER;
    }
    if (!kinds.includes(e.data)) kinds.push(e.data);
  }
  return kinds.length === 1 ? kinds[0] : kinds;
});

/** `GET /api/events`: newest first, filtered by zone, kind (or kinds), time window [from, to) and seq. */
export const EventsQuery = z.object({
  zone: single('zone'),
  event: eventKind,
  from: wholeNumber('from', 0, MAX_QUERY_TIME),
  to: wholeNumber('to', 0, MAX_QUERY_TIME),
  before_seq: wholeNumber('before_seq', 1, Number.MAX_SAFE_INTEGER),
  limit: wholeNumber('limit', 1, MAX_EVENTS).transform((n) => n ?? 200),
});
export type EventsQuery = z.infer<typeof EventsQuery>;

/** Most events one CSV export writes (a year of 14 zones' samples is about 7.4 million). */
export const MAX_CSV_EVENTS = 20_000_000;

/**
 * `GET /api/events.csv`: the events query's parameters, but without `limit` every matching event
 * is written (streamed, page by page), and a `limit` may go up to MAX_CSV_EVENTS.
 */
export const EventsCsvQuery = EventsQuery.extend({ limit: wholeNumber('limit', 1, MAX_CSV_EVENTS) });
export type EventsCsvQuery = z.infer<typeof EventsCsvQuery>;

/** `GET /api/zones/:zone/history` as given; `historyWindow` fills in the defaults. */
export const HistoryQuery = z.object({
  to: wholeNumber('to', 1, MAX_QUERY_TIME),
  from: wholeNumber('from', 0, MAX_QUERY_TIME),
  points: wholeNumber('points', 1, MAX_HISTORY_POINTS).transform((n) => n ?? 500),
});
export type HistoryQuery = z.infer<typeof HistoryQuery>;

/**
 * A history query's window (`from`, `to`, epoch ms) and `points`, or the reason it has none.
 * Defaults: up to `now`, the 24 hours before `to`. A `to` so early that the default window would
 * start before 1970 (`?to=1`: seconds for milliseconds, most likely) is refused rather than
 * answered with a window nobody asked for.
 */
export function historyWindow(query: HistoryQuery, now: number): { ok: true; from: number; to: number; points: number } | { ok: false; message: string } {
  const to = query.to ?? now;
  if (query.from === undefined && to < DEFAULT_HISTORY_MS) {
    return { ok: false, message: `to=${to} leaves no room for the default 24 hours before it (times are epoch milliseconds); give from as well` };
  }
  const from = query.from ?? to - DEFAULT_HISTORY_MS;
  if (from >= to) return { ok: false, message: 'from must be before to' };
  return { ok: true, from, to, points: query.points };
}

// The replies of the read routes both serve, so a client (the apps, the web UI) reads one shape.

export const ZonesReply = z.object({ zones: z.array(ZoneState) });
export const EventsReply = z.object({ events: z.array(EventEntry) });
export const HistoryReply = z.object({ zone: z.string(), from: z.number(), to: z.number(), points: z.array(HistoryPoint) });
export const ScheduleReply = z.object({ zone: z.union([ZoneName, z.literal('default')]), schedule: WeeklySchedule });
export const SchedulesReply = z.object({ schedules: z.array(ScheduleReply) });
export const PresetsReply = z.object({ presets: z.array(Preset) });
export const SystemReply = SystemState;
export const ZoneReply = ZoneState;

// ---- per-day zone statistics (`GET /api/zones/:zone/stats`) ---------------------------------

/** The longest window one stats query may cover. */
export const MAX_STATS_DAYS = 400;
/**
 * A run shorter than this is a short cycle: the control's default minimum on time (a zone's
 * `min_on_s` in the agent's zones file), which only safety or a restart can cut short. One value
 * on both servers, so the agent and the relay count alike; the reply says which was used.
 */
export const SHORT_CYCLE_S = 180;
/** The site days a stats query covers when it names no `from` (today included). */
export const DEFAULT_STATS_DAYS = 7;
/** How far from the end of JavaScript's dates a stats window must stay, so its days still have dates. */
const STATS_TIME_MARGIN_MS = 3 * 24 * 3600_000;

/** `GET /api/zones/:zone/stats` as given: a window [from, to) in epoch ms; `statsWindow` fills in the defaults. */
export const ZoneStatsQuery = z.object({
  from: wholeNumber('from', 0, MAX_QUERY_TIME - STATS_TIME_MARGIN_MS),
  to: wholeNumber('to', 1, MAX_QUERY_TIME - STATS_TIME_MARGIN_MS),
});
export type ZoneStatsQuery = z.infer<typeof ZoneStatsQuery>;

/**
 * A stats query's window, or the reason it has none. Defaults: up to `now` (the server's site
 * clock), from the start of the site day DEFAULT_STATS_DAYS - 1 days before `to`'s.
 */
export function statsWindow(query: ZoneStatsQuery, now: number, timeZone: string): { ok: true; from: number; to: number } | { ok: false; message: string } {
  const to = query.to ?? Math.min(Math.max(now, 1), MAX_QUERY_TIME - STATS_TIME_MARGIN_MS);
  let from = query.from;
  if (from === undefined) {
    const last = siteDayOf(to - 1, timeZone);
    const first = new Date(last.start - (DEFAULT_STATS_DAYS - 1) * 24 * 3600_000 + 12 * 3600_000);
    from = Math.max(0, siteDayOf(first.getTime(), timeZone).start);
  }
  if (from >= to) return { ok: false, message: 'from must be before to' };
  if (to - from > MAX_STATS_DAYS * 24 * 3600_000) return { ok: false, message: `the window is longer than ${MAX_STATS_DAYS} days; ask for less` };
  return { ok: true, from, to };
}

/** What a zone did over a stretch of time (one site day, or the whole window). */
const ZoneActivity = {
  /** Seconds of this stretch the server has data for (its database's first event to its now). */
  observed_s: z.number().int().min(0),
  /** Calls for heat that began here: ON switches driven by demand (schedule, setpoint, thermostat, a command), not by safety. */
  calls: z.number().int().min(0),
  /** ON periods of the zone's output that overlap this stretch, whatever drove them; a run over midnight counts on both days. */
  runs: z.number().int().min(0),
  /** Seconds the output was on within this stretch. */
  run_s: z.number().int().min(0),
  /** run_s over runs; null without runs. */
  avg_run_s: z.number().int().min(0).nullable(),
  /** Share of observed time the output was on, 0 to 1; null when nothing was observed. */
  duty: z.number().min(0).max(1).nullable(),
  /** Runs that began here and ended shorter than short_cycle_s. */
  short_cycles: z.number().int().min(0),
};

/** One site day of a zone's statistics. */
export const ZoneDayStats = z.object({
  /** The site's calendar date, YYYY-MM-DD. */
  date: z.string().regex(/^\d{4,6}-\d\d-\d\d$/),
  /** The day's first instant and the next day's: 23, 24 or 25 hours apart. */
  start: z.number().int(),
  end: z.number().int(),
  ...ZoneActivity,
});
export type ZoneDayStats = z.infer<typeof ZoneDayStats>;

export const ZoneStatsTotals = z.object(ZoneActivity);
export type ZoneStatsTotals = z.infer<typeof ZoneStatsTotals>;

/** `GET /api/zones/:zone/stats`: per site day over [from, to), oldest first, with the window's totals. */
export const ZoneStatsReply = z.object({
  zone: z.string(),
  from: z.number(),
  to: z.number(),
  /** The site's IANA time zone: the days are its calendar days. */
  time_zone: z.string(),
  short_cycle_s: z.number().int().min(0),
  /** The end of what was observed: `to`, or the server's now when that is earlier. */
  observed_until: z.number(),
  /** A run still on at observed_until, counted up to it (it is still going), or null. */
  open_run: z.object({ since: z.number() }).nullable(),
  days: z.array(ZoneDayStats).max(MAX_STATS_DAYS + 2),
  totals: ZoneStatsTotals,
});
export type ZoneStatsReply = z.infer<typeof ZoneStatsReply>;

// ---- notifications (`GET /api/notify`, the relay's only) -------------------------------------

/** Failures in a row after which a channel counts as failing (the relay's /health names it). */
export const NOTIFY_FAILING_AFTER = 3;

/**
 * One notification channel as the relay shows it: where it goes, with any secret masked (only
 * whether it has one), and how delivery goes since the relay started.
 */
export const NotifyChannelView = z.object({
  name: z.string().min(1).max(64),
  type: z.enum(['ntfy', 'gotify', 'webhook', 'email']),
  /** Where notices go (a server's origin and topic, a webhook's path, the e-mail addresses): never a token or password. */
  target: z.string().max(2000),
  /** Whether the channel is configured with a token or password (its value is never served). */
  secret: z.boolean(),
  sent: z.number().int().min(0),
  failures: z.number().int().min(0),
  consecutive_failures: z.number().int().min(0),
  last_error: z.string().max(2000).nullable(),
  last_success_at: z.number().nullable(),
  /** Notices waiting in the outbox for this channel (first tries and retries). */
  pending: z.number().int().min(0),
  /** Notices given up on: not delivered before they expired. */
  expired: z.number().int().min(0),
});
export type NotifyChannelView = z.infer<typeof NotifyChannelView>;

/** `GET /api/notify`: the configured channels (none when NOTIFY_FILE is unset) and the relay's heartbeat. */
export const NotifyReply = z.object({
  channels: z.array(NotifyChannelView).max(100),
  heartbeat: z.object({ configured: z.boolean(), consecutive_failures: z.number().int().min(0) }),
});
export type NotifyReply = z.infer<typeof NotifyReply>;

/** `POST /api/notify/channels/:channel/test` (202): the test notice is in the outbox. */
export const NotifyTestReply = z.object({ queued: z.literal(true), notice_id: z.string().min(1).max(100) });
export type NotifyTestReply = z.infer<typeof NotifyTestReply>;
