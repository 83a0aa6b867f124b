import { describe, it, expect } from 'vitest';
import { SystemState, ZoneState } from '@boiler/shared';
import { systemStateOf, zoneStatesOf } from '../../src/control/index.js';
import { configOf, faulty, heatZone, ok, onOffZone, readingsOf, Rig, WED_10AM } from './rig.js';

describe('zoneStatesOf', () => {
  const config = configOf([heatZone('Z1'), heatZone('Z2'), onOffZone('W', { schedule: undefined })], { boiler_output: 'boiler' });

  it('gives API zone states that pass the shared schema', () => {
    const rig = new Rig(config);
    rig.do({ type: 'setpoint', zone: 'Z1', setpoint_c: 22, override: 'until', until: WED_10AM + 3_600_000 });
    rig.do({ type: 'boost', zone: 'Z2', minutes: 15 });
    const readings = readingsOf({ Z1: { room: ok(19), pipe: ok(35), call_for_heat: true }, Z2: { room: faulty('power_on'), pipe: ok(200) } });
    rig.tick(readings);
    rig.advance(60);
    rig.tick(readings);
    const zones = zoneStatesOf(config, rig.state, readings, rig.now());
    for (const zone of zones) expect(() => ZoneState.parse(zone)).not.toThrow();
    const [z1, z2, w] = zones;
    expect(z1).toMatchObject({
      zone: 'Z1',
      kind: 'heat',
      mode: 'AUTO',
      output: true,
      call_for_heat: true,
      condition: 'normal',
      room_c: 19,
      pipe_c: 35,
      setpoint_c: 22,
      override: { kind: 'until', setpoint_c: 22, until: WED_10AM + 3_600_000, set_at: WED_10AM },
      boost_until: null,
      fault: null,
      changed_at: WED_10AM,
      updated_at: WED_10AM + 60_000,
    });
    expect(z1?.override).not.toHaveProperty('slot');
    // A reading outside what the API can carry is shown as unknown rather than breaking the schema.
    expect(z2).toMatchObject({ condition: 'sensor_fault', room_c: null, pipe_c: null, boost_until: WED_10AM + 15 * 60_000 });
    expect(z2?.fault).toContain('power_on');
    expect(w).toMatchObject({ kind: 'onoff', setpoint_c: null, room_c: null });
  });

  it('shows no setpoint for a zone outside AUTO', () => {
    const rig = new Rig(config);
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    expect(zoneStatesOf(config, rig.state, readingsOf({}), rig.now())[0]?.setpoint_c).toBeNull();
  });
});

describe('systemStateOf', () => {
  it('gives an API system state that passes the shared schema', () => {
    const config = configOf([heatZone('Z1')], { boiler_output: 'boiler', outdoor_sensor: 'out' });
    const rig = new Rig(config);
    rig.do({ type: 'away', until: WED_10AM + 86_400_000 });
    const readings = readingsOf({ Z1: { room: faulty() } }, { outdoor: ok(-8.5) });
    rig.tick(readings);
    const system = systemStateOf(config, rig.state, readings, rig.now(), 'sim');
    expect(() => SystemState.parse(system)).not.toThrow();
    expect(system).toMatchObject({ away: true, away_until: WED_10AM + 86_400_000, outdoor_c: -8.5, boiler_firing: false, hardware: 'sim', time_zone: 'America/Denver' });
    expect(system.alerts.map((a) => a.id)).toEqual(['sensor_fault:Z1', 'sensor_fault:Z1:pipe']);
  });

  it('reports the burner input, when there is one, over what the engine asked for', () => {
    const config = configOf([heatZone('Z1')], { boiler_output: 'boiler' });
    const rig = new Rig(config);
    const readings = readingsOf({ Z1: { room: ok(15), pipe: ok(30) } }, { burner: false });
    rig.run(20, readings);
    expect(rig.state.boiler.on).toBe(true);
    expect(systemStateOf(config, rig.state, readings, rig.now(), 'pi').boiler_firing).toBe(false);
    expect(systemStateOf(config, rig.state, readingsOf({}), rig.now(), 'pi').boiler_firing).toBe(true);
  });
});
