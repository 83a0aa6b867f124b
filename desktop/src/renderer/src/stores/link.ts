import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { LiveServerMessage, SiteSettings } from '@boiler/shared';
import { backend, type LiveFeed, type LiveState, type SignInResult } from '../backend/backend';
import { useZonesStore } from './zones';
import { useSystemStore } from './system';
import { useCommandsStore } from './commands';

/** How long a zone's values stay fresh with no word from the site, while the link looks up. */
export const ZONE_FRESH_MS = 5 * 60_000;

/**
 * The sign-in and the two links the page depends on: to the relay (the live socket) and the
 * relay's to the Pi. It feeds the other stores from the live socket.
 */
/** Takes the schedules and presets the relay pushes, and hears of each fresh snapshot. */
export interface SettingsHandler {
  settings(settings: SiteSettings): void;
  snapshot(): void;
}

export const useLinkStore = defineStore('link', () => {
  const signedIn = ref(false);
  /** Whether the first session check has answered (until then nothing is shown as signed out). */
  const checked = ref(false);
  const live = ref<LiveState>('connecting');
  /** This page's clock when the relay was lost; null while it is reachable. */
  const relayLostAt = ref<number | null>(null);
  const piConnected = ref<boolean | null>(null);
  /**
   * Since when the Pi is offline: the relay's clock when it saw the link drop, or, when the relay
   * has seen no drop (it started without the Pi), the site's clock when the site last spoke.
   */
  const piOffline = ref<{ since: number; clock: 'relay' | 'site' } | null>(null);
  /** A clock for ages and countdowns, ticking once a second. */
  const now = ref(Date.now());
  let ticker: ReturnType<typeof setInterval> | undefined;
  let feed: LiveFeed | null = null;

  const zones = useZonesStore();
  const system = useSystemStore();
  const commands = useCommandsStore();

  /** Whether what is on screen is current: the relay is reachable and it hears the Pi. */
  const current = computed(() => live.value === 'open' && piConnected.value === true);

  function lastSiteWord(): number | null {
    const newest = Math.max(zones.newestUpdate, system.system?.updated_at ?? 0);
    return newest > 0 ? newest : null;
  }

  function setPi(connected: boolean, relaySince: number | null): void {
    if (connected) piOffline.value = null;
    else if (relaySince !== null) piOffline.value = { since: relaySince, clock: 'relay' };
    else if (piConnected.value !== false || piOffline.value === null) {
      const site = lastSiteWord();
      piOffline.value = site === null ? null : { since: site, clock: 'site' };
    }
    piConnected.value = connected;
  }

  let firstSnapshot = true;

  /**
   * Who wants the schedules and presets the relay pushes, and to hear of a fresh snapshot (after
   * which what changed while the feed was away must be read again). The schedules store signs up
   * when a page first uses it, so the dashboard's bundle does not carry the schedule code.
   */
  const settingsHandlers = new Set<SettingsHandler>();
  function onSettings(handler: SettingsHandler): () => void {
    settingsHandlers.add(handler);
    return () => settingsHandlers.delete(handler);
  }

  function received(m: LiveServerMessage): void {
    const at = Date.now();
    switch (m.type) {
      case 'snapshot':
        // For the bench's stages (npm run bench -- --only ui): the page's first snapshot in hand.
        if (firstSnapshot) performance.mark('boiler:first-snapshot');
        firstSnapshot = false;
        // Values from a snapshot while the Pi is away may be old; their arrival here says nothing of their age.
        zones.replaceAll(m.zones, m.pi_connected ? at : null);
        system.set(m.system, m.system === null ? null : at);
        commands.replaceAll(m.commands);
        setPi(m.pi_connected, m.pi_offline_since);
        for (const h of settingsHandlers) h.snapshot();
        return;
      case 'zones':
        zones.apply(m.zones, at);
        return;
      case 'system':
        system.set(m.system, at);
        return;
      case 'settings':
        for (const h of settingsHandlers) h.settings(m.settings);
        return;
      case 'command':
        commands.apply(m.command);
        return;
      case 'link':
        setPi(m.pi_connected, m.pi_offline_since);
        return;
      case 'events':
      case 'pong':
        return;
      case 'error':
        console.warn(`live: the relay reported ${m.code}: ${m.message}`);
        return;
    }
  }

  /** Called once when the feed being opened beside the session check first has its snapshot. */
  let onFirstSnapshot: (() => void) | null = null;

  function liveState(state: LiveState): void {
    live.value = state;
    if (state === 'open') {
      relayLostAt.value = null;
      // The relay sends a snapshot only to a socket it admitted: a session good enough for the page.
      signedIn.value = true;
      onFirstSnapshot?.();
      onFirstSnapshot = null;
    } else if (state === 'unreachable' && relayLostAt.value === null) relayLostAt.value = Date.now();
    else if (state === 'unauthorised') {
      // The session ended (expired, or signed out elsewhere): back to the sign-in.
      stopFeed();
      signedIn.value = false;
    }
  }

  function openFeed(): void {
    stopFeed();
    feed = backend().live({ message: received, state: liveState });
    ticker ??= setInterval(() => {
      now.value = Date.now();
    }, 1000);
  }

  function stopFeed(): void {
    feed?.close();
    feed = null;
  }

  let restoring: Promise<void> | null = null;

  /**
   * Picks up a session from an earlier sign-in, once at start. The session cookie is HttpOnly, so
   * the page cannot see whether it has one; the live socket is admitted by that cookie alone, so
   * it is opened beside the session check rather than after it, and the page goes on at whichever
   * answers first (the check, or the socket's snapshot). A check that says no closes the socket.
   */
  function restore(): Promise<void> {
    restoring ??= (async () => {
      const opened = new Promise<void>((resolve) => {
        onFirstSnapshot = resolve;
      });
      openFeed();
      const checkedSession = backend()
        .hasSession()
        .catch(() => false)
        .then((ok) => {
          if (ok) signedIn.value = true;
          else {
            onFirstSnapshot = null;
            stopFeed();
            signedIn.value = false;
            // What the closed socket saw says nothing of the relay once signed in.
            live.value = 'connecting';
            relayLostAt.value = null;
          }
        });
      await Promise.race([checkedSession, opened]);
      checked.value = true;
    })();
    return restoring;
  }

  async function signIn(key: string): Promise<SignInResult> {
    const result = await backend().signIn(key);
    if (result === 'signed_in') {
      signedIn.value = true;
      openFeed();
    }
    return result;
  }

  async function signOut(): Promise<void> {
    stopFeed();
    signedIn.value = false;
    await backend().signOut();
  }

  /** Whether a value last heard at `heardAt` (this page's clock; null: unknown) is stale now. */
  function isStale(heardAt: number | null): boolean {
    return !current.value || heardAt === null || now.value - heardAt > ZONE_FRESH_MS;
  }

  return { signedIn, checked, live, relayLostAt, piConnected, piOffline, now, current, restore, signIn, signOut, isStale, onSettings };
});
