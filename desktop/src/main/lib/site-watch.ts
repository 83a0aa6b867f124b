import { LiveServerMessage, MAX_NESTING_DEPTH, nestsDeeperThan, type Alert } from '@boiler/shared';
import type { LiveEvent } from '../../preload/api.js';

/** What the desktop's tray and notifications show after one live event. */
export interface SiteWatchUpdate {
  /** The tray's tooltip now; null when it is unchanged. */
  status: string | null;
  /** Alerts raised since the watch began, not acknowledged, seen now for the first time. */
  newAlerts: Alert[];
}

/**
 * Follows the live feed for the desktop's tray (the relay's link and the Pi's) and its system
 * notifications (a new alert). Alerts already standing when the feed first answers are not new.
 * Every message is parsed by the shared schema; one of no known shape changes nothing.
 */
export class SiteWatch {
  private known: Set<string> | null = null;
  private relay: 'connecting' | 'connected' | 'unreachable' | 'unauthorised' = 'connecting';
  private pi: boolean | null = null;

  observe(event: LiveEvent): SiteWatchUpdate {
    if (event.kind === 'state') {
      this.relay = event.state;
      return { status: this.status(), newAlerts: [] };
    }
    let raw: unknown;
    try {
      raw = JSON.parse(event.text);
    } catch {
      return { status: null, newAlerts: [] };
    }
    if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) return { status: null, newAlerts: [] };
    const parsed = LiveServerMessage.safeParse(raw);
    if (!parsed.success) return { status: null, newAlerts: [] };
    const m = parsed.data;
    switch (m.type) {
      case 'snapshot':
        this.relay = 'connected';
        this.pi = m.pi_connected;
        return { status: this.status(), newAlerts: this.alerts(m.system?.alerts ?? []) };
      case 'system':
        return { status: null, newAlerts: this.alerts(m.system.alerts) };
      case 'link':
        this.pi = m.pi_connected;
        return { status: this.status(), newAlerts: [] };
      default:
        return { status: null, newAlerts: [] };
    }
  }

  private alerts(alerts: readonly Alert[]): Alert[] {
    if (this.known === null) {
      this.known = new Set(alerts.map((a) => a.id));
      return [];
    }
    const fresh = alerts.filter((a) => !a.acknowledged && !(this.known?.has(a.id) ?? false));
    for (const a of alerts) this.known.add(a.id);
    return fresh;
  }

  private status(): string {
    if (this.relay !== 'connected') return `Boiler Controller: relay ${this.relay}`;
    if (this.pi === null) return 'Boiler Controller: relay connected';
    return this.pi ? 'Boiler Controller: Pi online' : 'Boiler Controller: Pi offline';
  }
}
