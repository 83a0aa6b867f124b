import { describe, it, expect } from 'vitest';
import { zoneStatesOf } from '../../src/control/index.js';
import { configOf, everyDay, faulty, heatZone, ok, onOffZone, readingsOf, Rig, EMPTY_WEEK, WED_10AM } from './rig.js';

const room = (c: number, call?: boolean) => readingsOf({ Z1: { room: ok(c), pipe: ok(40), call_for_heat: call } });

describe('AUTO: hysteresis around the setpoint', () => {
  it('comes on below setpoint − differential, stays on up to the setpoint, and stays off in between on the way down', () => {
    const rig = new Rig(configOf([heatZone('Z1', { differential_c: 0.5 })])); // default schedule: 20 °C
    const seen = [19.6, 19.4, 19.8, 19.99, 20, 19.7, 19.51, 19.49].map((c) => {
      rig.advance(10);
      return rig.tick(room(c)).outputs.get('valve-Z1');
    });
    expect(seen).toEqual([false, true, true, true, false, false, false, true]);
  });

  it('logs ON and OFF with source control, the setpoint in the detail and the run length on OFF', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.tick(room(18));
    rig.advance(600);
    rig.tick(room(20.5));
    const switches = rig.events.filter((e) => e.event === 'ON' || e.event === 'OFF');
    expect(switches.map((e) => [e.event, e.source, e.zone, e.duration_s])).toEqual([
      ['ON', 'control', 'Z1', null],
      ['OFF', 'control', 'Z1', 600],
    ]);
    expect(switches[0]?.detail).toContain('20 °C');
    expect(switches[0]?.room_c).toBe(18);
    expect(switches[0]?.pipe_c).toBe(40);
  });
});

describe('AUTO: schedules', () => {
  it("follows the zone's own week over the default one", () => {
    const rig = new Rig(configOf([heatZone('Z1', { schedule: everyDay([{ at: '06:00', setpoint_c: 16 }]) }), heatZone('Z2')]));
    const r = readingsOf({ Z1: { room: ok(18) }, Z2: { room: ok(18) } });
    rig.tick(r);
    expect(rig.output('valve-Z1')).toBe(false); // 18 ≥ 16
    expect(rig.output('valve-Z2')).toBe(true); // default 20
  });

  it('switches at the switch point in site time', () => {
    const rig = new Rig(configOf([heatZone('Z1', { schedule: everyDay([{ at: '06:00', setpoint_c: 21 }, { at: '10:30', setpoint_c: 16 }]) })]));
    rig.tick(room(18));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(29 * 60);
    rig.tick(room(18));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(60); // 10:30 MST
    rig.tick(room(18));
    expect(rig.output('valve-Z1')).toBe(false);
  });

  it('uses the default setpoint when the week is empty', () => {
    const rig = new Rig(configOf([heatZone('Z1', { default_setpoint_c: 12 })], { default_schedule: EMPTY_WEEK }));
    rig.tick(room(11));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(zoneStatesOf(rig.config, rig.state, room(11), rig.now())[0]?.setpoint_c).toBe(12);
  });

  it('runs an on/off zone from its on/off entries, with no setpoint', () => {
    const config = configOf([onOffZone('W', { schedule: everyDay([{ at: '05:00', on: true }, { at: '10:15', on: false }]) })]);
    const rig = new Rig(config);
    const none = readingsOf({});
    rig.tick(none);
    expect(rig.output('relay-W')).toBe(true);
    rig.advance(15 * 60);
    rig.tick(none);
    expect(rig.output('relay-W')).toBe(false);
    expect(zoneStatesOf(config, rig.state, none, rig.now())[0]?.setpoint_c).toBeNull();
    expect(rig.state.zones[0]?.condition).toBe('normal');
  });
});

describe('AUTO: overrides', () => {
  // A long maximum run, so that a days-long override is not cut by the run limit (tested elsewhere).
  const config = configOf([
    heatZone('Z1', { max_run_off_s: 30 * 86_400, schedule: everyDay([{ at: '06:00', setpoint_c: 16 }, { at: '11:00', setpoint_c: 15 }]) }),
  ]);

  it('permanent: holds through switch points until cleared', () => {
    const rig = new Rig(config);
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'permanent' });
    rig.tick(room(20));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(3 * 86_400);
    rig.tick(room(20));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.do({ type: 'clear_override', zone: 'Z1' });
    rig.advance(10);
    rig.tick(room(20));
    expect(rig.output('valve-Z1')).toBe(false);
  });

  it('next_change: ends at the next switch point', () => {
    const rig = new Rig(config);
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'next_change' });
    rig.tick(room(20));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(59 * 60);
    rig.tick(room(20));
    expect(rig.zone('Z1').override?.kind).toBe('next_change');
    rig.advance(60); // 11:00
    rig.tick(room(20));
    expect(rig.zone('Z1').override).toBeNull();
    expect(rig.output('valve-Z1')).toBe(false);
  });

  it('until: ends at its wall time', () => {
    const rig = new Rig(config);
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'until', until: WED_10AM + 7 * 3_600_000 });
    rig.tick(room(20));
    rig.advance(7 * 3600 - 10);
    rig.tick(room(20));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(room(20));
    expect(rig.zone('Z1').override).toBeNull();
    expect(rig.output('valve-Z1')).toBe(false);
  });

  it('until: lasts its length on the mono clock whichever way the wall clock steps, and shows the end on the stepped clock', () => {
    for (const step of [2 * 3_600_000, -2 * 3_600_000]) {
      const rig = new Rig(config);
      rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'until', until: WED_10AM + 3_600_000 });
      rig.tick(room(20));
      rig.wall += step; // an NTP correction
      rig.advance(3590);
      rig.tick(room(20));
      expect(rig.zone('Z1').override).not.toBeNull();
      const shown = zoneStatesOf(rig.config, rig.state, room(20), rig.now())[0]?.override?.until;
      expect(shown).toBe(WED_10AM + 3_600_000 + step);
      rig.advance(10);
      rig.tick(room(20));
      expect(rig.zone('Z1').override).toBeNull();
    }
  });

  it('until: one saved without its mono instant (an older state) ends at its wall instant', () => {
    const rig = new Rig(config);
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'until', until: WED_10AM + 3_600_000 });
    rig.state = { ...rig.state, zones: rig.state.zones.map((z) => (z.override === null ? z : { ...z, override: { ...z.override, set_mono: null } })) };
    rig.wall += 3_600_000;
    rig.tick(room(20));
    expect(rig.zone('Z1').override).toBeNull();
  });
});

describe('AUTO: boost', () => {
  it('runs regardless of setpoint for its minutes, timed on the monotonic clock', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.do({ type: 'boost', zone: 'Z1', minutes: 30 });
    rig.tick(room(25)); // well above the 20 °C setpoint
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.events.at(-1)?.source).toBe('command');
    // A wall clock jumping a day ahead must not end it early.
    rig.wall += 86_400_000;
    rig.mono += 29 * 60_000;
    rig.tick(room(25));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.mono += 60_000;
    rig.tick(room(25));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(rig.zone('Z1').boost).toBeNull();
  });

  it('ends when the zone leaves AUTO', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.do({ type: 'boost', zone: 'Z1', minutes: 60 });
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'AUTO' });
    rig.tick(room(25));
    expect(rig.output('valve-Z1')).toBe(false);
  });
});

describe('away and home', () => {
  it('drops heat zones to their away setpoint, over overrides, and home restores them', () => {
    const rig = new Rig(configOf([heatZone('Z1', { away_setpoint_c: 10 })]));
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'permanent' });
    rig.do({ type: 'away' });
    rig.tick(room(12));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(zoneStatesOf(rig.config, rig.state, room(12), rig.now())[0]?.setpoint_c).toBe(10);
    rig.advance(10);
    rig.tick(room(9));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(room(12));
    rig.do({ type: 'home' });
    rig.advance(10);
    rig.tick(room(21));
    expect(rig.output('valve-Z1')).toBe(true); // the 22 °C override is back
  });

  it('ends by itself at its until time', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.do({ type: 'away', until: WED_10AM + 3_600_000 });
    rig.tick(room(18));
    expect(rig.output('valve-Z1')).toBe(false);
    rig.advance(3600);
    rig.tick(room(18));
    expect(rig.state.away).toBe(false);
    expect(rig.state.away_until).toBeNull();
    expect(rig.output('valve-Z1')).toBe(true);
  });
});

describe('ON, OFF and THERMOSTAT', () => {
  it('ON runs and OFF rests whatever the room', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    rig.tick(room(25));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.events.at(-1)?.source).toBe('command');
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    rig.advance(10);
    rig.tick(room(12));
    expect(rig.output('valve-Z1')).toBe(false);
  });

  it("THERMOSTAT follows the wall thermostat's call, not the setpoint", () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'THERMOSTAT' });
    rig.tick(room(25, true));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.events.at(-1)?.source).toBe('thermostat');
    rig.advance(10);
    rig.tick(room(15, false));
    expect(rig.output('valve-Z1')).toBe(false);
  });

  it('THERMOSTAT still drives through a room sensor fault, and pipe freeze protection still applies', () => {
    const rig = new Rig(configOf([heatZone('Z1', { failsafe: { action: 'off' } })]));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'THERMOSTAT' });
    rig.tick(readingsOf({ Z1: { room: faulty(), pipe: ok(30), call_for_heat: true } }));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(readingsOf({ Z1: { room: faulty(), pipe: ok(30), call_for_heat: false } }));
    expect(rig.output('valve-Z1')).toBe(false);
    rig.advance(10);
    rig.tick(readingsOf({ Z1: { room: faulty(), pipe: ok(2), call_for_heat: false } }));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.zone('Z1').condition).toBe('freeze_protect');
  });
});
