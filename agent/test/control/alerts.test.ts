import { describe, it, expect } from 'vitest';
import type { SensorReading } from '../../src/hardware/types.js';
import { configOf, faulty, heatZone, ok, readingsOf, Rig } from './rig.js';

const z1 = (room: SensorReading, pipe: SensorReading = ok(40)) => readingsOf({ Z1: { room, pipe } });
const ids = (rig: Rig) => rig.state.alerts.map((a) => a.id);

describe('alerts', () => {
  it('raises once with one ALERT event, clears when the cause clears, and raises afresh after', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.tick(z1(faulty()));
    const first = rig.last?.alerts.raised ?? [];
    expect(first.map((a) => [a.id, a.kind, a.zone, a.acknowledged, a.raised_at])).toEqual([['sensor_fault:Z1', 'sensor_fault', 'Z1', false, rig.wall]]);
    rig.run(60, z1(faulty()));
    expect(rig.events.filter((e) => e.event === 'ALERT').map((e) => [e.zone, e.source, e.detail?.split(':').slice(0, 2).join(':')])).toEqual([
      ['Z1', 'safety', 'sensor_fault:Z1'],
    ]);
    rig.advance(10);
    const cleared = rig.tick(z1(ok(21)));
    expect(cleared.alerts.cleared.map((a) => a.id)).toEqual(['sensor_fault:Z1']);
    expect(ids(rig)).toEqual([]);
    rig.advance(10);
    rig.tick(z1(faulty()));
    expect(rig.events.filter((e) => e.event === 'ALERT')).toHaveLength(2);
  });

  it('keeps an acknowledgement for as long as the alert is up', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    rig.tick(z1(faulty()));
    rig.do({ type: 'alert_ack', alert_id: 'sensor_fault:Z1' });
    expect(rig.state.alerts[0]?.acknowledged).toBe(true);
    rig.run(60, z1(faulty()));
    expect(rig.state.alerts.map((a) => [a.id, a.acknowledged])).toEqual([['sensor_fault:Z1', true]]);
    rig.advance(10);
    rig.tick(z1(ok(21)));
    rig.advance(10);
    rig.tick(z1(faulty()));
    expect(rig.state.alerts.map((a) => [a.id, a.acknowledged])).toEqual([['sensor_fault:Z1', false]]);
  });

  it('raises freeze_risk and high_limit while their causes last', () => {
    const rig = new Rig(configOf([heatZone('Z1', { high_limit_c: 28 })]));
    rig.tick(z1(ok(5)));
    expect(ids(rig)).toEqual(['freeze_risk:Z1']);
    rig.advance(10);
    rig.tick(z1(ok(29)));
    expect(ids(rig)).toEqual(['high_limit:Z1']);
    rig.advance(10);
    rig.tick(z1(ok(21)));
    expect(ids(rig)).toEqual([]);
  });

  it('raises a fault of the configured outdoor sensor, with no zone', () => {
    const rig = new Rig(configOf([heatZone('Z1')], { outdoor_sensor: 'outdoor' }));
    rig.tick(readingsOf({ Z1: { room: ok(21), pipe: ok(40) } }, { outdoor: faulty() }));
    expect(rig.state.alerts.map((a) => [a.id, a.zone])).toEqual([['sensor_fault:outdoor', null]]);
    rig.advance(10);
    rig.tick(readingsOf({ Z1: { room: ok(21), pipe: ok(40) } }, { outdoor: ok(-12) }));
    expect(ids(rig)).toEqual([]);
  });
});

describe('no_temp_rise', () => {
  const config = configOf([heatZone('Z1')]);

  it('raises after 30 minutes on without the pipe warming by 1 °C, and clears when the run ends', () => {
    const rig = new Rig(config);
    rig.run(30 * 60 - 10, z1(ok(18), ok(20.5)));
    expect(ids(rig)).toEqual([]);
    rig.advance(10);
    rig.tick(z1(ok(18), ok(20.9)));
    expect(ids(rig)).toEqual(['no_temp_rise:Z1']);
    rig.advance(10);
    rig.tick(z1(ok(21), ok(20.9))); // the room reached setpoint: the run ends
    expect(ids(rig)).toEqual([]);
  });

  it('stays quiet when the pipe warms, even if it cools again later in the run', () => {
    const rig = new Rig(config);
    rig.tick(z1(ok(18), ok(20)));
    rig.advance(600);
    rig.tick(z1(ok(18), ok(21)));
    rig.run(3600, z1(ok(18), ok(20)));
    expect(ids(rig)).toEqual([]);
  });

  it('falls back to the room temperature without a pipe sensor', () => {
    const rig = new Rig(configOf([heatZone('Z1', { pipe_sensor: undefined })]));
    rig.run(30 * 60, readingsOf({ Z1: { room: ok(18) } }));
    expect(ids(rig)).toEqual(['no_temp_rise:Z1']);
    rig.advance(10);
    rig.tick(readingsOf({ Z1: { room: ok(19) } }));
    expect(ids(rig)).toEqual([]);
  });
});
