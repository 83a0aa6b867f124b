import { defineStore } from 'pinia';
import { computed, markRaw, shallowRef } from 'vue';
import type { HistoryPoint, ZoneState, ZoneStatsReply } from '@boiler/shared';
import { backend } from '../backend/backend';

/** A zone as last heard, with when this page heard it (its own clock; null when it came in a snapshot while the Pi was away). */
export interface HeardZone {
  state: ZoneState;
  heardAt: number | null;
}

/** Z2 before Z10. One collator for every comparison: localeCompare with options builds one per call. */
const zoneNames = new Intl.Collator('en', { numeric: true });

function order(a: string, b: string): number {
  return zoneNames.compare(a, b);
}

/** Every zone's latest state from the live feed; nothing here is guessed or written ahead of the Pi. */
export const useZonesStore = defineStore('zones', () => {
  const byName = shallowRef<ReadonlyMap<string, HeardZone>>(new Map());
  const list = computed(() => [...byName.value.values()].sort((a, b) => order(a.state.zone, b.state.zone)));

  /** A snapshot: the whole set, replacing what was there (a zone gone from the agent goes here too). */
  function replaceAll(zones: readonly ZoneState[], heardAt: number | null): void {
    byName.value = new Map(zones.map((z) => [z.zone, { state: z, heardAt }]));
  }

  function apply(zones: readonly ZoneState[], heardAt: number): void {
    const next = new Map(byName.value);
    for (const z of zones) next.set(z.zone, { state: z, heardAt });
    byName.value = next;
  }

  function zone(name: string): HeardZone | undefined {
    return byName.value.get(name);
  }

  /** The newest site-clock stamp among the zones: when the site last spoke. */
  const newestUpdate = computed(() => Math.max(0, ...[...byName.value.values()].map((z) => z.state.updated_at)));

  /** The window each zone's history was last asked for: what the zone page shows, so its stats cover the same. */
  const historyWindows = shallowRef<ReadonlyMap<string, { from: number; to: number }>>(new Map());

  /**
   * A zone's history over [from, to) (site clock), thinned by the server to about `points`. Kept
   * out of Vue's reactivity: a month of points is drawn once, never watched point by point.
   */
  async function history(name: string, from: number, to: number, points: number): Promise<readonly HistoryPoint[]> {
    const next = new Map(historyWindows.value);
    next.set(name, { from, to });
    historyWindows.value = next;
    return markRaw(await backend().history(name, from, to, points));
  }

  /** A zone's statistics per site day over [from, to) (site clock). */
  async function stats(name: string, from: number, to: number): Promise<ZoneStatsReply> {
    return markRaw(await backend().zoneStats(name, from, to));
  }

  return { byName, list, replaceAll, apply, zone, newestUpdate, history, historyWindows, stats };
});
