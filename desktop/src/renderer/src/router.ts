import { createRouter, createWebHashHistory } from 'vue-router';
import { useLinkStore } from './stores/link';
import SignInView from './views/SignInView.vue';
import DashboardView from './views/DashboardView.vue';
import { lockGuard } from './kiosk/lock-guard';

/** Hash history: the same build runs from the relay and from a file in Electron. */
export function createAppRouter() {
  const router = createRouter({
    history: createWebHashHistory(),
    routes: [
      { path: '/', name: 'dashboard', component: DashboardView },
      { path: '/sign-in', name: 'sign-in', component: window.boiler === undefined ? SignInView : () => import('./views/PairingView.vue') },
      // Its own chunk: the zone page's chart (uPlot) and controls are not parsed before the dashboard is drawn.
      { path: '/zones/:zone', name: 'zone', component: () => import('./views/ZoneView.vue'), props: true },
      { path: '/zones/:zone/schedule', name: 'schedule', component: () => import('./views/ScheduleView.vue'), props: true, meta: { locked: true } },
      { path: '/schedules', name: 'schedules', component: () => import('./views/ScheduleView.vue'), meta: { locked: true } },
      { path: '/events', name: 'events', component: () => import('./views/EventsView.vue') },
      { path: '/settings', name: 'settings', component: () => import('./views/SettingsView.vue'), meta: { locked: true } },
      { path: '/unlock', name: 'unlock', component: () => import('./kiosk/UnlockView.vue') },
      { path: '/:rest(.*)', redirect: '/' },
    ],
  });
  router.beforeEach(async (to) => {
    const link = useLinkStore();
    await link.restore();
    if (!link.signedIn && to.name !== 'sign-in') return { name: 'sign-in', query: to.fullPath === '/' ? {} : { next: to.fullPath } };
    if (link.signedIn && to.name === 'sign-in') return { name: 'dashboard' };
    return true;
  });
  // Settings and schedules ask for the PIN while the lock is on (kiosk/lock-guard.ts).
  router.beforeEach(lockGuard);
  return router;
}
