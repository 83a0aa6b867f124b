import { z } from 'zod';
import { CommandState, CommandStatus, EventsReply, HistoryReply, NotifyReply, NotifyTestReply, PresetsReply, SchedulesReply, ZoneStatsReply, type CommandBody, type EventEntry, type HistoryPoint, type Preset } from '@boiler/shared';
import { CommandsReply, MAX_LISTED_COMMANDS, type CommandRecord } from './command-record';
import { BackendError, eventsParams, type Backend, type CommandAccepted, type EventsFilter, type ScheduleOf } from './backend';

const Accepted = z.object({ id: z.uuid(), state: CommandState });
const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/** What a transport got back: the status (0: the relay could not be reached) and the parsed JSON body (null when none). */
export interface RelayAnswer {
  status: number;
  body: unknown;
  /** Why the relay could not be reached, when status is 0. */
  reason?: string | undefined;
}

/** The methods the app's REST calls use (the Electron preload allows no others). */
export type RestMethod = 'GET' | 'POST';

/**
 * The relay's REST routes as the app calls them, once for every Backend: each answer checked by its
 * status and parsed by the shared schema on arrival. A backend supplies only the transport
 * (`send`: fetch in the browser, the preload's bridge in Electron) and what differs (signing in,
 * the live feed, downloads).
 */
export abstract class RelayRest implements Pick<Backend, 'sendCommand' | 'retryCommand' | 'history' | 'zoneStats' | 'schedules' | 'presets' | 'events' | 'commands' | 'notifyView' | 'testNotice'> {
  protected abstract send(method: RestMethod, path: string, body?: unknown): Promise<RelayAnswer>;

  sendCommand(id: string, body: CommandBody): Promise<CommandAccepted> {
    return this.request('POST', '/api/commands', Accepted, { id, body });
  }

  retryCommand(id: string): Promise<CommandStatus> {
    return this.request('POST', `/api/commands/${encodeURIComponent(id)}/retry`, CommandStatus);
  }

  async history(zone: string, from: number, to: number, points: number): Promise<HistoryPoint[]> {
    const q = new URLSearchParams({ from: String(from), to: String(to), points: String(points) });
    return (await this.request('GET', `/api/zones/${encodeURIComponent(zone)}/history?${q.toString()}`, HistoryReply)).points;
  }

  zoneStats(zone: string, from: number, to: number): Promise<ZoneStatsReply> {
    const q = new URLSearchParams({ from: String(Math.floor(from)), to: String(Math.floor(to)) });
    return this.request('GET', `/api/zones/${encodeURIComponent(zone)}/stats?${q.toString()}`, ZoneStatsReply);
  }

  async schedules(): Promise<ScheduleOf[]> {
    return (await this.request('GET', '/api/schedules', SchedulesReply)).schedules;
  }

  async presets(): Promise<Preset[]> {
    return (await this.request('GET', '/api/presets', PresetsReply)).presets;
  }

  async events(query: EventsFilter): Promise<EventEntry[]> {
    const q = eventsParams(query);
    q.set('limit', String(query.limit));
    return (await this.request('GET', `/api/events?${q.toString()}`, EventsReply)).events;
  }

  async commands(limit: number): Promise<CommandRecord[]> {
    return (await this.request('GET', `/api/commands?limit=${Math.min(MAX_LISTED_COMMANDS, Math.max(1, Math.floor(limit)))}`, CommandsReply)).commands;
  }

  notifyView(): Promise<NotifyReply> {
    return this.request('GET', '/api/notify', NotifyReply);
  }

  testNotice(channel: string): Promise<NotifyTestReply> {
    return this.request('POST', `/api/notify/channels/${encodeURIComponent(channel)}/test`, NotifyTestReply);
  }

  /** One call: a failure becomes a BackendError with the relay's own code and reason where it gave one. */
  protected async request<S extends z.ZodType>(method: RestMethod, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    const answer = await this.send(method, path, body);
    if (answer.status === 0) throw new BackendError(0, 'unreachable', answer.reason ?? 'the relay cannot be reached');
    if (answer.status < 200 || answer.status >= 300) {
      const err = ErrorBody.safeParse(answer.body);
      throw err.success ? new BackendError(answer.status, err.data.error.code, err.data.error.message) : new BackendError(answer.status, 'http_error', `the relay answered ${answer.status}`);
    }
    const parsed = schema.safeParse(answer.body);
    if (!parsed.success) throw new BackendError(answer.status, 'bad_answer', `the relay's answer to ${method} ${path.split('?')[0] ?? path} did not match its schema`);
    return parsed.data;
  }
}
