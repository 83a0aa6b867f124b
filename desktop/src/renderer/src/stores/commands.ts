import { defineStore } from 'pinia';
import { shallowRef } from 'vue';
import type { CommandBody, CommandState, CommandStatus, CommandType } from '@boiler/shared';
import { backend, BackendError } from '../backend/backend';

/** A command this page knows of: the relay's status once it has one, and every state seen on the way. */
export interface TrackedCommand {
  id: string;
  body: CommandBody;
  /** Before the relay has stored it: being posted, or refused / not delivered (with why). */
  submit: 'posting' | 'stored' | 'refused';
  status: CommandStatus | null;
  /** The state in the relay's answer to the POST; the live feed's word wins once it has spoken. */
  accepted: CommandState | null;
  /** States in the order the live feed reported them (queued, sent, succeeded ...). */
  trail: CommandState[];
  /** Why it failed or was refused, in words. */
  problem: string | null;
  /** This page's clock when it was asked for, to order them. */
  askedAt: number;
}

/** A v4 UUID; crypto.randomUUID exists only in secure contexts. */
function newId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function zoneOf(body: CommandBody): string | null {
  return 'zone' in body && typeof body.zone === 'string' ? body.zone : null;
}

/** Where a command is now, as far as this page knows: the live feed's word, else the POST's answer. */
export function commandState(c: TrackedCommand): CommandState | 'sending' | 'not sent' {
  if (c.status !== null) return c.status.state;
  if (c.submit === 'posting') return 'sending';
  if (c.submit === 'refused') return 'not sent';
  return c.accepted ?? 'sending';
}

/** Whether a command is still on its way (not finished one way or the other). */
export function inFlight(c: TrackedCommand): boolean {
  const s = commandState(c);
  return s === 'sending' || s === 'queued' || s === 'sent';
}

/** Commands and their live state; the relay's word (over the live feed) is the only source of a state. */
export const useCommandsStore = defineStore('commands', () => {
  const byId = shallowRef<ReadonlyMap<string, TrackedCommand>>(new Map());

  function put(c: TrackedCommand): void {
    const next = new Map(byId.value);
    next.set(c.id, c);
    byId.value = next;
  }

  function withState(c: TrackedCommand, state: CommandState): CommandState[] {
    return c.trail[c.trail.length - 1] === state ? c.trail : [...c.trail, state];
  }

  function apply(status: CommandStatus): void {
    const known = byId.value.get(status.id);
    const base: TrackedCommand = known ?? { id: status.id, body: status.body, submit: 'stored', status: null, accepted: null, trail: [], problem: null, askedAt: status.created_at };
    put({
      ...base,
      submit: 'stored',
      status,
      trail: withState(base, status.state),
      problem: status.last_error?.message ?? status.result?.error?.message ?? null,
    });
  }

  function replaceAll(list: readonly CommandStatus[]): void {
    for (const s of list) apply(s);
  }

  async function send(body: CommandBody): Promise<string> {
    const id = newId();
    put({ id, body, submit: 'posting', status: null, accepted: null, trail: [], problem: null, askedAt: Date.now() });
    try {
      const accepted = await backend().sendCommand(id, body);
      const c = byId.value.get(id);
      // Kept apart from the trail: the 202 may overtake the live feed's "queued" for the same command.
      if (c !== undefined) put({ ...c, submit: 'stored', accepted: accepted.state });
    } catch (err) {
      const c = byId.value.get(id);
      const why = err instanceof BackendError ? err.message : 'the request failed';
      if (c !== undefined) put({ ...c, submit: 'refused', problem: why });
    }
    return id;
  }

  async function retry(id: string): Promise<void> {
    const status = await backend().retryCommand(id);
    apply(status);
  }

  function newestWhere(pick: (body: CommandBody) => boolean): TrackedCommand | undefined {
    let found: TrackedCommand | undefined;
    for (const c of byId.value.values()) if (pick(c.body) && (found === undefined || c.askedAt >= found.askedAt)) found = c;
    return found;
  }

  /** The newest command for a zone, if any. */
  function latestFor(zone: string): TrackedCommand | undefined {
    return newestWhere((body) => zoneOf(body) === zone);
  }

  /** The newest command of one of these types (for the whole site, such as away and home), if any. */
  function latestOf(types: readonly CommandType[]): TrackedCommand | undefined {
    return newestWhere((body) => types.includes(body.type));
  }

  return { byId, apply, replaceAll, send, retry, latestFor, latestOf };
});
