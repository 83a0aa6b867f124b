import type { RouteLocationNormalized, RouteLocationRaw } from 'vue-router';
import { useKioskStore } from './kiosk-store';

declare module 'vue-router' {
  interface RouteMeta {
    /** The page needs the PIN while the lock is on (settings and schedules); the dashboard and zone pages never do. */
    locked?: boolean;
  }
}

/** A router guard: a locked page behind a set PIN goes by the unlock page, which comes back to it. */
export function lockGuard(to: RouteLocationNormalized): true | RouteLocationRaw {
  if (to.meta.locked !== true) return true;
  if (!useKioskStore().locked) return true;
  return { name: 'unlock', query: { next: to.fullPath } };
}
