import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import { siteDayStart, type EventEntry } from '@boiler/shared';
import { backend, BackendError, eventsParams, type EventsFilter } from '../backend/backend.js';
import { MAX_LISTED_COMMANDS, type CommandRecord } from '../backend/command-record.js';

/** The log's kinds as the filter offers them: `event` as the read API takes it (kinds joined by commas). */
export const KIND_CHOICES = [
  { value: 'ON,OFF,ALERT,COMMAND', label: 'All but samples' },
  { value: '', label: 'Everything' },
  { value: 'ON,OFF', label: 'On / off' },
  { value: 'ALERT', label: 'Alerts' },
  { value: 'COMMAND', label: 'Commands' },
  { value: 'SAMPLE', label: 'Samples' },
] as const;

/** Rows asked for at a time: a screenful or two; "Older" asks for the next. */
export const EVENTS_PAGE = 50;
/** Commands listed first; "Older" raises it up to the relay's 500. */
export const COMMANDS_PAGE = 50;

/** What the page filters by: a zone ('' all), kinds ('' all), site dates YYYY-MM-DD ('' open). */
export interface EventFilter {
  zone: string;
  kinds: string;
  fromDate: string;
  toDate: string;
}

/** A site date's first instant; the day after's for an end date. Null for '' or a date the input could not give. */
export function siteDateStart(date: string, timeZone: string, dayAfter = false): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)$/.exec(date);
  if (m === null) return null;
  const next = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + (dayAfter ? 1 : 0)));
  return siteDayStart(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), timeZone);
}

/** The filter as the read API's query (from the start of the first day to the end of the last, site time), without a limit. */
export function filterQuery(filter: EventFilter, timeZone: string): Omit<EventsFilter, 'limit'> {
  const from = siteDateStart(filter.fromDate, timeZone);
  const to = siteDateStart(filter.toDate, timeZone, true);
  return {
    ...(filter.zone === '' ? {} : { zone: filter.zone }),
    ...(filter.kinds === '' ? {} : { event: filter.kinds }),
    ...(from === null ? {} : { from }),
    ...(to === null ? {} : { to }),
  };
}

/** The zone a command was for, if it names one. */
export function commandZone(c: CommandRecord): string | null {
  return 'zone' in c.body && typeof c.body.zone === 'string' ? c.body.zone : null;
}

/**
 * The event log as the owner filters it, newest first, paged back with before_seq; and the relay's
 * commands, so each COMMAND event can say who sent it and each command how it ended.
 */
export const useEventsStore = defineStore('events', () => {
  const filter = ref<EventFilter>({ zone: '', kinds: KIND_CHOICES[0].value, fromDate: '', toDate: '' });
  const events = shallowRef<readonly EventEntry[]>([]);
  const state = ref<'idle' | 'loading' | 'ready' | 'failed'>('idle');
  const problem = ref<string | null>(null);
  /** Whether the last page came full: there may be older events. */
  const more = ref(false);
  let asked = 0;

  const commands = shallowRef<readonly CommandRecord[]>([]);
  const commandsState = ref<'idle' | 'loading' | 'ready' | 'failed'>('idle');
  const commandsProblem = ref<string | null>(null);
  const commandsLimit = ref(COMMANDS_PAGE);
  const commandsMore = computed(() => commands.value.length >= commandsLimit.value && commandsLimit.value < MAX_LISTED_COMMANDS);

  /** Each listed command by the seq of the COMMAND event it wrote. */
  const commandBySeq = computed(() => {
    const bySeq = new Map<number, CommandRecord>();
    for (const c of commands.value) if (c.result?.seq !== null && c.result?.seq !== undefined) bySeq.set(c.result.seq, c);
    return bySeq;
  });

  function why(err: unknown): string {
    return err instanceof BackendError ? err.message : 'the relay could not be asked';
  }

  /** The first page for the filter (a newer load wins over one still on its way). */
  async function load(timeZone: string): Promise<void> {
    const mine = ++asked;
    state.value = 'loading';
    problem.value = null;
    try {
      const page = await backend().events({ ...filterQuery(filter.value, timeZone), limit: EVENTS_PAGE });
      if (mine !== asked) return;
      events.value = markRaw(page);
      more.value = page.length === EVENTS_PAGE;
      state.value = 'ready';
    } catch (err) {
      if (mine !== asked) return;
      state.value = 'failed';
      problem.value = why(err);
    }
  }

  /** The next page back: events below the oldest shown. */
  async function older(timeZone: string): Promise<void> {
    const last = events.value[events.value.length - 1];
    if (last === undefined || !more.value || state.value === 'loading') return;
    const mine = ++asked;
    state.value = 'loading';
    try {
      const page = await backend().events({ ...filterQuery(filter.value, timeZone), beforeSeq: last.seq, limit: EVENTS_PAGE });
      if (mine !== asked) return;
      events.value = markRaw([...events.value, ...page]);
      more.value = page.length === EVENTS_PAGE;
      state.value = 'ready';
    } catch (err) {
      if (mine !== asked) return;
      state.value = 'failed';
      problem.value = why(err);
    }
  }

  async function loadCommands(): Promise<void> {
    commandsState.value = 'loading';
    try {
      commands.value = markRaw(await backend().commands(commandsLimit.value));
      commandsState.value = 'ready';
      commandsProblem.value = null;
    } catch (err) {
      commandsState.value = 'failed';
      commandsProblem.value = why(err);
    }
  }

  async function olderCommands(): Promise<void> {
    commandsLimit.value = Math.min(MAX_LISTED_COMMANDS, commandsLimit.value + COMMANDS_PAGE * 2);
    await loadCommands();
  }

  /** The CSV download of everything the filter matches (not only the pages shown). */
  function csvHref(timeZone: string): string {
    return backend().exportUrl('/api/events.csv', eventsParams(filterQuery(filter.value, timeZone)));
  }

  return { filter, events, state, problem, more, load, older, commands, commandsState, commandsProblem, commandsMore, commandBySeq, loadCommands, olderCommands, csvHref };
});
