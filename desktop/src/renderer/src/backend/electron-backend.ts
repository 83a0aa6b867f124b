import { z } from 'zod';
import { CommandState, CommandStatus, EventsReply, HistoryReply, LiveServerMessage, MAX_NESTING_DEPTH, NotifyReply, NotifyTestReply, PresetsReply, SchedulesReply, ZoneStatsReply, nestsDeeperThan, type CommandBody, type EventEntry, type HistoryPoint, type Preset } from '@boiler/shared';
import type { BoilerBridge, LiveEvent, RelayMethod } from '../../../preload/api';
import { CommandsReply, MAX_LISTED_COMMANDS, type CommandRecord } from './command-record';
import { BackendError, eventsParams, type Backend, type CommandAccepted, type EventsFilter, type LiveFeed, type LiveHandlers, type ScheduleOf, type SignInResult } from './backend';

declare global {
  interface Window {
    /** The Electron shell's preload API (desktop/src/preload); absent in a browser. */
    boiler?: BoilerBridge;
  }
}

const Accepted = z.object({ id: z.uuid(), state: CommandState });
const ErrorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

/**
 * The Electron shell's Backend: every request and the live feed go through the preload to the
 * main process, which holds the key and the pinned TLS connection; the page sees neither. Answers
 * are parsed here by the shared schemas, as the browser's are. Signing in is pairing
 * (PairingView): signIn only asks whether the shell is paired; signOut forgets the pairing.
 */
export class ElectronBackend implements Backend {
  constructor(private readonly bridge: BoilerBridge) {}

  async hasSession(): Promise<boolean> {
    try {
      return (await this.bridge.state()).paired;
    } catch {
      return false;
    }
  }

  async signIn(): Promise<SignInResult> {
    return (await this.hasSession()) ? 'signed_in' : 'wrong_key';
  }

  async signOut(): Promise<void> {
    await this.bridge.forget();
  }

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

  /**
   * CSV downloads need the key, which the page does not have, and the window loads nothing from
   * the relay: not offered in the shell yet (a download through the main process is to come).
   */
  exportUrl(): string {
    return 'about:blank';
  }

  live(handlers: LiveHandlers): LiveFeed {
    let closed = false;
    const stop = this.bridge.onLive((event: LiveEvent) => {
      if (closed) return;
      if (event.kind === 'state') {
        handlers.state(event.state);
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(event.text);
      } catch {
        return;
      }
      if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) return;
      const parsed = LiveServerMessage.safeParse(raw);
      if (!parsed.success) return;
      if (parsed.data.type === 'snapshot') handlers.state('open');
      handlers.message(parsed.data);
    });
    handlers.state('connecting');
    void this.bridge.liveOpen();
    return {
      close: () => {
        closed = true;
        stop();
        void this.bridge.liveClose();
      },
    };
  }

  private async request<S extends z.ZodType>(method: RelayMethod, path: string, schema: S, body?: unknown): Promise<z.infer<S>> {
    const answer = await this.bridge.request(body === undefined ? { method, path } : { method, path, body });
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

/** The shell's preload API, for the pairing screen; null in a browser. */
export function shellBridge(): BoilerBridge | null {
  return window.boiler ?? null;
}
