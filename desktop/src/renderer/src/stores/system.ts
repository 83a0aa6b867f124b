import { defineStore } from 'pinia';
import { computed, shallowRef } from 'vue';
import type { Alert, SystemState } from '@boiler/shared';

/** The whole site's state: outdoor temperature, the boiler, away, alerts and the site's time zone. */
export const useSystemStore = defineStore('system', () => {
  const system = shallowRef<SystemState | null>(null);
  const heardAt = shallowRef<number | null>(null);

  function set(next: SystemState | null, at: number | null): void {
    system.value = next;
    heardAt.value = at;
  }

  const alerts = computed<readonly Alert[]>(() => system.value?.alerts ?? []);
  const openAlerts = computed(() => alerts.value.filter((a) => !a.acknowledged));
  const timeZone = computed(() => system.value?.time_zone ?? 'UTC');

  /**
   * The site's clock now, estimated from its last stamp and how long ago this page heard it. The
   * viewer's clock and the Pi's need not agree, so site times are never compared with Date.now().
   */
  function siteNow(pageNow: number): number | null {
    if (system.value === null || heardAt.value === null) return null;
    return system.value.updated_at + (pageNow - heardAt.value);
  }

  return { system, heardAt, set, alerts, openAlerts, timeZone, siteNow };
});
