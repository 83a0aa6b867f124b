import type { EventEntry, CommandBody, CommandState, CommandStatus, HistoryPoint, LiveServerMessage, NotifyReply, NotifyTestReply, Preset, WeeklySchedule, ZoneStatsReply } from '@boiler/shared';
import type { CommandRecord } from './command-record.js';

/** Where the live socket to the relay stands. */
export type LiveState = 'connecting' | 'open' | 'unreachable' | 'unauthorised';

/** How a sign-in ended. */
export type SignInResult = 'signed_in' | 'wrong_key' | 'unreachable' | 'relay_error';

/** The relay's answer to a new command: stored, with where it is now. */
export interface CommandAccepted {
  id: string;
  state: CommandState;
}

export interface LiveHandlers {
  message(message: LiveServerMessage): void;
  state(state: LiveState): void;
}

/** A schedule as the relay lists it: a zone's own week, or `default`'s. */
export interface ScheduleOf {
  zone: string;
  schedule: WeeklySchedule;
}

/** An open live feed; close() stops it and its reconnecting. */
export interface LiveFeed {
  close(): void;
}

/**
 * All the app's I/O: the relay's REST routes, its live socket and the sign-in. Every answer is
 * parsed by the shared schemas before it is returned. The browser's implementation talks to the
 * relay it was served from; the Electron shell adds one that goes through its preload.
 */
export interface Backend {
  /** Whether a session from an earlier sign-in is still good. */
  hasSession(): Promise<boolean>;
  signIn(key: string): Promise<SignInResult>;
  signOut(): Promise<void>;
  /** Opens the live feed: a snapshot on every connect, then changes; reconnects until closed. */
  live(handlers: LiveHandlers): LiveFeed;
  sendCommand(id: string, body: CommandBody): Promise<CommandAccepted>;
  retryCommand(id: string): Promise<CommandStatus>;
  history(zone: string, from: number, to: number, points: number): Promise<HistoryPoint[]>;
  /** A zone's statistics per site day over [from, to) (site clock). */
  zoneStats(zone: string, from: number, to: number): Promise<ZoneStatsReply>;
  /** Every schedule: `default` first, then the zones with a week of their own. */
  schedules(): Promise<ScheduleOf[]>;
  presets(): Promise<Preset[]>;
  /** Events newest first, by the read API's events query (zone, kinds, window, before_seq, limit). */
  events(query: EventsFilter): Promise<EventEntry[]>;
  /** The relay's newest commands (up to 500): who sent each and how it ended. */
  commands(limit: number): Promise<CommandRecord[]>;
  /** Where a CSV export (`/api/events.csv`, a zone's `history.csv`) is downloaded from, for a link the session admits. */
  exportUrl(path: string, query: URLSearchParams): string;
  /** The relay's notification channels (secrets masked, delivery counts) and its heartbeat. */
  notifyView(): Promise<NotifyReply>;
  /** Queues a test notice on one channel (a BackendError 404 for a channel the relay does not have). */
  testNotice(channel: string): Promise<NotifyTestReply>;
}

/** The events query's parameters as the app gives them; `event` one kind or several joined by commas. */
export interface EventsFilter {
  zone?: string;
  event?: string;
  from?: number;
  to?: number;
  beforeSeq?: number;
  limit: number;
}

/** The events query's filters as query parameters (the limit is the caller's). */
export function eventsParams(query: Omit<EventsFilter, 'limit'>): URLSearchParams {
  const q = new URLSearchParams();
  if (query.zone !== undefined) q.set('zone', query.zone);
  if (query.event !== undefined) q.set('event', query.event);
  if (query.from !== undefined) q.set('from', String(Math.floor(query.from)));
  if (query.to !== undefined) q.set('to', String(Math.floor(query.to)));
  if (query.beforeSeq !== undefined) q.set('before_seq', String(query.beforeSeq));
  return q;
}

/** A request the relay refused or that never reached it, with the relay's reason when it gave one. */
export class BackendError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'BackendError';
  }
}

let current: Backend | undefined;

/** Chooses the app's Backend once, at start (main.ts). */
export function useBackendImplementation(backend: Backend): void {
  current = backend;
}

export function backend(): Backend {
  if (current === undefined) throw new Error('no Backend chosen: main.ts sets one before mounting');
  return current;
}
