import { describe, it, expect } from 'vitest';
import type { SensorReading } from '../../src/hardware/types.js';
import { configOf, faulty, heatZone, ok, onOffZone, readingsOf, Rig } from './rig.js';

const z1 = (roomReading: SensorReading, pipeReading: SensorReading = ok(30), call?: boolean) =>
  readingsOf({ Z1: { room: roomReading, pipe: pipeReading, call_for_heat: call } });

describe('minimum on and off times', () => {
  it('keeps an output on for min_on_s and off for min_off_s, timed on the monotonic clock', () => {
    const rig = new Rig(configOf([heatZone('Z1', { min_on_s: 300, min_off_s: 600 })]));
    rig.tick(z1(ok(18)));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(290);
    rig.tick(z1(ok(21)));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(z1(ok(21)));
    expect(rig.output('valve-Z1')).toBe(false);
    // The wall clock leaping a day ahead does not end the minimum off time.
    rig.wall += 86_400_000;
    rig.mono += 590_000;
    rig.tick(z1(ok(18)));
    expect(rig.output('valve-Z1')).toBe(false);
    rig.mono += 10_000;
    rig.tick(z1(ok(18)));
    expect(rig.output('valve-Z1')).toBe(true);
  });

  it('counts the minimum off time from start-up, so a restart loop cannot short-cycle', () => {
    const rig = new Rig(configOf([heatZone('Z1', { min_off_s: 180 })]), undefined, { freshStart: true });
    rig.tick(z1(ok(15)));
    expect(rig.output('valve-Z1')).toBe(false);
    rig.advance(180);
    rig.tick(z1(ok(15)));
    expect(rig.output('valve-Z1')).toBe(true);
  });
});

describe('room high limit', () => {
  it('cuts a minimum on time short, and the zone then waits out its minimum off time', () => {
    const rig = new Rig(configOf([heatZone('Z1', { min_on_s: 600, min_off_s: 300, high_limit_c: 26 })]));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    rig.tick(z1(ok(20)));
    rig.advance(10);
    rig.tick(z1(ok(26)));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(rig.zone('Z1').condition).toBe('high_limit');
    const off = rig.events.filter((e) => e.event === 'OFF');
    expect(off.map((e) => [e.source, e.duration_s])).toEqual([['safety', 10]]);
    rig.advance(10);
    rig.tick(z1(ok(25)));
    expect(rig.output('valve-Z1')).toBe(false); // minimum off time
    rig.advance(290);
    rig.tick(z1(ok(25)));
    expect(rig.output('valve-Z1')).toBe(true);
  });

  it('keeps a zone in mode ON off while the room is over the limit', () => {
    const rig = new Rig(configOf([heatZone('Z1', { high_limit_c: 24 })]));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    rig.run(3600, z1(ok(24.5)));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(rig.events.filter((e) => e.event === 'ON')).toEqual([]);
  });
});

describe('freeze protection', () => {
  it('overrides mode OFF and away on a cold room, and lets go 3 °C above the limit', () => {
    const rig = new Rig(configOf([heatZone('Z1', { freeze_room_c: 7, freeze_pipe_c: 4 })]));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    rig.do({ type: 'away' });
    rig.tick(z1(ok(6.9)));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.zone('Z1').condition).toBe('freeze_protect');
    expect(rig.events.find((e) => e.event === 'ON')?.source).toBe('safety');
    rig.advance(10);
    rig.tick(z1(ok(9.9)));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(z1(ok(10)));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(rig.zone('Z1').condition).toBe('normal');
  });

  it('needs the pipe 3 °C above its limit too before letting go', () => {
    const rig = new Rig(configOf([heatZone('Z1', { freeze_pipe_c: 4 })]));
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    rig.tick(z1(ok(15), ok(3.5)));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(z1(ok(15), ok(6.9)));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(z1(ok(15), ok(7)));
    expect(rig.output('valve-Z1')).toBe(false);
  });

  it('protects an on/off zone by its pipe sensor', () => {
    const rig = new Rig(configOf([onOffZone('W', { pipe_sensor: 'pipe-W' })]));
    rig.do({ type: 'zone_mode', zone: 'W', mode: 'OFF' });
    rig.tick(readingsOf({ W: { pipe: ok(1) } }));
    expect(rig.output('relay-W')).toBe(true);
  });

  it('waits out the minimum off time, then wins', () => {
    const rig = new Rig(configOf([heatZone('Z1', { min_off_s: 120 })]), undefined, { freshStart: true });
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    rig.tick(z1(ok(5)));
    expect(rig.output('valve-Z1')).toBe(false);
    rig.advance(120);
    rig.tick(z1(ok(5)));
    expect(rig.output('valve-Z1')).toBe(true);
  });
});

describe('maximum run', () => {
  const config = configOf([heatZone('Z1', { max_run_alert_s: 3600, max_run_off_s: 7200, min_off_s: 900 })]);

  it('alerts, then turns off with a lockout of the minimum off time, then may run again', () => {
    const rig = new Rig(config);
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    const longRun = () => rig.state.alerts.filter((a) => a.kind === 'long_run').map((a) => a.id);
    rig.run(3590, z1(ok(15)));
    expect(longRun()).toEqual([]);
    rig.advance(10);
    rig.tick(z1(ok(15)));
    expect(longRun()).toEqual(['long_run:Z1']);
    rig.run(3600 - 20, z1(ok(15)));
    rig.advance(10);
    rig.tick(z1(ok(15)));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.advance(10);
    rig.tick(z1(ok(15)));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(rig.zone('Z1').condition).toBe('max_run_lockout');
    expect(rig.events.filter((e) => e.event === 'OFF').map((e) => [e.source, e.duration_s])).toEqual([['safety', 7200]]);
    expect(longRun()).toEqual([]); // the run ended, so the long-run alert clears
    rig.run(890, z1(ok(15)));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(rig.zone('Z1').condition).toBe('max_run_lockout');
    rig.advance(10);
    rig.tick(z1(ok(15)));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.zone('Z1').condition).toBe('normal');
  });

  it('does not stop a zone that freeze protection needs', () => {
    const rig = new Rig(config);
    rig.run(3 * 3600, z1(ok(5)), 60);
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.events.filter((e) => e.event === 'OFF')).toEqual([]);
    expect(rig.state.alerts.map((a) => a.id)).toEqual(expect.arrayContaining(['freeze_risk:Z1', 'long_run:Z1']));
  });
});

describe('room sensor fault', () => {
  it('is its own condition with a duty cycle phased on the monotonic clock', () => {
    const config = configOf([heatZone('Z1', { failsafe: { action: 'duty', duty_fraction: 0.25, period_s: 1200 } })]);
    const rig = new Rig(config);
    rig.mono = 10 * 1_200_000; // the start of a period
    rig.wall += 7 * 60_000; // the wall clock sits elsewhere in the period, and jumps below
    const pattern: boolean[] = [];
    for (let t = 0; t < 2400; t += 60) {
      rig.tick(z1(faulty()));
      pattern.push(rig.output('valve-Z1'));
      rig.advance(60);
      if (t === 600) rig.wall -= 3_600_000;
    }
    const period = [...Array<boolean>(5).fill(true), ...Array<boolean>(15).fill(false)];
    expect(pattern).toEqual([...period, ...period]);
    expect(rig.zone('Z1').condition).toBe('sensor_fault');
    expect(rig.events.find((e) => e.event === 'ON')?.source).toBe('safety');
  });

  it('applies the fail-safe over the mode, as configured: off, or on', () => {
    const off = new Rig(configOf([heatZone('Z1', { failsafe: { action: 'off' } })]));
    off.do({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    off.tick(z1(faulty('power_on')));
    expect(off.output('valve-Z1')).toBe(false);
    const on = new Rig(configOf([heatZone('Z1', { failsafe: { action: 'on' } })]));
    on.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    on.tick(z1(faulty()));
    expect(on.output('valve-Z1')).toBe(true);
  });

  it('treats a configured sensor with no reading at all as missing', () => {
    const rig = new Rig(configOf([heatZone('Z1', { failsafe: { action: 'on' } })]));
    rig.tick(readingsOf({}));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.zone('Z1').condition).toBe('sensor_fault');
    expect(rig.state.alerts.find((a) => a.id === 'sensor_fault:Z1')?.message).toContain('missing');
  });

  it('still lets pipe freeze protection override an "off" fail-safe', () => {
    const rig = new Rig(configOf([heatZone('Z1', { failsafe: { action: 'off' } })]));
    rig.tick(z1(faulty(), ok(2)));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.zone('Z1').condition).toBe('freeze_protect');
  });

  it('a pipe sensor fault alone only raises an alert', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.tick(z1(ok(18), faulty()));
    expect(rig.output('valve-Z1')).toBe(true);
    expect(rig.zone('Z1').condition).toBe('normal');
    expect(rig.state.alerts.map((a) => [a.id, a.kind])).toEqual([['sensor_fault:Z1:pipe', 'sensor_fault']]);
  });
});
