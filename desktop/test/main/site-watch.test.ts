import { describe, expect, it } from 'vitest';
import type { Alert, SystemState } from '@boiler/shared';
import { SiteWatch } from '../../src/main/lib/site-watch.js';

const now = Date.now();
function alert(id: string, acknowledged = false): Alert {
  return { id, kind: 'freeze_risk', zone: 'Z2', message: `Z2 is at 4 °C (${id})`, raised_at: now, acknowledged };
}
function system(alerts: Alert[]): SystemState {
  return { away: false, away_until: null, outdoor_c: 3, boiler_firing: false, hardware: 'sim', time_zone: 'Europe/London', alerts, updated_at: now };
}
const msg = (m: object) => ({ kind: 'message' as const, text: JSON.stringify(m) });

describe('SiteWatch (tray and notifications)', () => {
  it('standing alerts at the first snapshot are not new; a later unacknowledged one is, once', () => {
    const watch = new SiteWatch();
    const first = watch.observe(msg({ type: 'snapshot', zones: [], system: system([alert('a1')]), commands: [], pi_connected: true, pi_offline_since: null }));
    expect(first).toEqual({ status: 'Boiler Controller: Pi online', newAlerts: [] });
    const raised = watch.observe(msg({ type: 'system', system: system([alert('a1'), alert('a2'), alert('a3', true)]) }));
    expect(raised.newAlerts.map((a) => a.id)).toEqual(['a2']);
    expect(watch.observe(msg({ type: 'system', system: system([alert('a1'), alert('a2')]) })).newAlerts).toEqual([]);
    // After a reconnect, the snapshot's alerts already seen are not new again.
    expect(watch.observe(msg({ type: 'snapshot', zones: [], system: system([alert('a1'), alert('a2'), alert('a4')]), commands: [], pi_connected: true, pi_offline_since: null })).newAlerts.map((a) => a.id)).toEqual(['a4']);
  });

  it("the tray follows the relay link and the Pi's", () => {
    const watch = new SiteWatch();
    expect(watch.observe({ kind: 'state', state: 'connecting' }).status).toBe('Boiler Controller: relay connecting');
    watch.observe(msg({ type: 'snapshot', zones: [], system: null, commands: [], pi_connected: true, pi_offline_since: null }));
    expect(watch.observe(msg({ type: 'link', pi_connected: false, pi_offline_since: now })).status).toBe('Boiler Controller: Pi offline');
    expect(watch.observe({ kind: 'state', state: 'unreachable', reason: 'x' }).status).toBe('Boiler Controller: relay unreachable');
  });

  it('a message of no known shape, or not JSON, changes nothing', () => {
    const watch = new SiteWatch();
    expect(watch.observe({ kind: 'message', text: '{"type":"system","system":{"alerts":"lots"}}' })).toEqual({ status: null, newAlerts: [] });
    expect(watch.observe({ kind: 'message', text: 'not json' })).toEqual({ status: null, newAlerts: [] });
  });
});
