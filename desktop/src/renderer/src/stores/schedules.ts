import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { CommandBody, Preset, SiteSettings, WeeklySchedule } from '@boiler/shared';
import { backend, BackendError } from '../backend/backend';
import { commandState, useCommandsStore } from './commands';
import { useLinkStore } from './link';
import { applyConfirmed, reflects, type SiteSchedules } from '../schedule/site-schedules';
import type { WeekPlan } from '../schedule/week';

/** How often, and how many times, the relay's copy is read again after the Pi confirmed a change, until it shows it. */
const REREAD_EVERY_MS = 500;
const REREAD_TIMES = 20;

/**
 * The site's schedules and presets. They change only by commands, which the Pi must confirm; once
 * it has, the change is shown as confirmed and the relay's copy (which the agent sends it after
 * every change) is read again until it agrees.
 */
export const useSchedulesStore = defineStore('schedules', () => {
  const site = shallowRef<SiteSchedules>({ weeks: new Map(), presets: [] });
  const loaded = ref(false);
  const problem = ref<string | null>(null);
  const commands = useCommandsStore();
  /** Commands sent from here, not yet finished. */
  const watching = new Set<string>();
  /** Confirmed changes the relay's copy may not show yet. */
  let unseen: CommandBody[] = [];
  let rereadTimer: ReturnType<typeof setTimeout> | undefined;
  let rereads = 0;

  /** Unsaved edits by schedule (a zone or `default`), kept while the owner looks at other pages. */
  const drafts = shallowRef<ReadonlyMap<string, { plan: WeekPlan; follows: boolean }>>(new Map());

  function keepDraft(target: string, plan: WeekPlan, follows: boolean): void {
    drafts.value = new Map(drafts.value).set(target, { plan, follows });
  }

  function dropDraft(target: string): void {
    if (!drafts.value.has(target)) return;
    const next = new Map(drafts.value);
    next.delete(target);
    drafts.value = next;
  }

  const presets = computed<readonly Preset[]>(() => [...site.value.presets].sort((a, b) => a.name.localeCompare(b.name)));
  const defaultWeek = computed<WeeklySchedule | null>(() => site.value.weeks.get('default') ?? null);

  /** A zone's own week; null when it follows the default schedule. */
  function ownWeek(zone: string): WeeklySchedule | null {
    return zone === 'default' ? defaultWeek.value : (site.value.weeks.get(zone) ?? null);
  }

  /** The relay's copy, read or pushed; what was confirmed here and is not in it yet stays shown. */
  function take(fresh: SiteSchedules): void {
    // The relay's copy may trail the Pi's confirmation by a moment: keep what was confirmed until it shows.
    unseen = unseen.filter((body) => !reflects(fresh, body));
    site.value = unseen.reduce((s, body) => applyConfirmed(s, body, Date.now()), fresh);
    loaded.value = true;
    problem.value = null;
  }

  async function load(): Promise<void> {
    try {
      const [weeks, listed] = await Promise.all([backend().schedules(), backend().presets()]);
      take({ weeks: new Map(weeks.map((s) => [s.zone, s.schedule])), presets: listed });
    } catch (err) {
      problem.value = err instanceof BackendError ? err.message : 'the schedules could not be read';
    }
    if (unseen.length > 0 && rereads < REREAD_TIMES) {
      rereads++;
      clearTimeout(rereadTimer);
      rereadTimer = setTimeout(() => void load(), REREAD_EVERY_MS);
    }
  }

  /**
   * The schedules and presets as the relay pushed them on the live feed (the Pi sends them after
   * every change, whoever made it: another app, the Pi's own API). Taken only once this page has
   * read them: until then there is nothing shown to bring up to date.
   */
  function pushed(settings: SiteSettings): void {
    if (!loaded.value) return;
    const weeks = new Map<string, WeeklySchedule>([['default', settings.default_schedule]]);
    for (const z of settings.zone_schedules) weeks.set(z.zone, z.schedule);
    take({ weeks, presets: settings.presets });
  }

  /** After the live feed was away (a fresh snapshot): changes made meanwhile were not pushed, so read again. */
  function refresh(): void {
    if (loaded.value) void load();
  }

  useLinkStore().onSettings({ settings: pushed, snapshot: refresh });

  /** Takes in the commands sent from here that the Pi has finished with. */
  function settle(): void {
    for (const id of [...watching]) {
      const c = commands.byId.get(id);
      if (c === undefined) continue;
      const state = commandState(c);
      if (state === 'sending' || state === 'queued' || state === 'sent') continue;
      watching.delete(id);
      if (state !== 'succeeded') continue;
      site.value = applyConfirmed(site.value, c.body, c.status?.result?.finished_at ?? Date.now());
      unseen.push(c.body);
      rereads = 0;
      void load();
    }
  }
  watch(() => commands.byId, settle);

  async function send(body: CommandBody): Promise<string> {
    const id = await commands.send(body);
    watching.add(id);
    // The Pi may have answered before the POST did: look now as well as on every change.
    settle();
    return id;
  }

  /** One schedule_set: a zone's week (an empty week: back to the default), or `default`'s. */
  function saveWeek(zone: string, schedule: WeeklySchedule): Promise<string> {
    return send({ type: 'schedule_set', zone, schedule });
  }

  function savePreset(name: string, schedule: WeeklySchedule): Promise<string> {
    return send({ type: 'preset_save', name, schedule });
  }

  function applyPreset(name: string, zones: string[]): Promise<string> {
    return send({ type: 'preset_apply', name, zones });
  }

  function deletePreset(name: string): Promise<string> {
    return send({ type: 'preset_delete', name });
  }

  return { site, loaded, problem, presets, defaultWeek, ownWeek, load, saveWeek, savePreset, applyPreset, deletePreset, drafts, keepDraft, dropDraft };
});
