import { describe, it, expect } from 'vitest';
import { configOf, heatZone, ok, readingsOf, Rig } from './rig.js';

const plant = { boiler_output: 'boiler', pump_output: 'pump', pump_overrun_s: 120 };
const rooms = (z1: number, z2 = 21) => readingsOf({ Z1: { room: ok(z1), pipe: ok(40) }, Z2: { room: ok(z2), pipe: ok(40) } });
const levels = (rig: Rig) => ({
  Z1: rig.output('valve-Z1'),
  Z2: rig.output('valve-Z2'),
  boiler: rig.output('boiler'),
  pump: rig.output('pump'),
});

describe('boiler and pump sequencing', () => {
  it('opens the valve and starts the pump first, and fires the boiler on the next tick', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], plant));
    rig.tick(rooms(18));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    rig.advance(10);
    rig.tick(rooms(18));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: true, pump: true });
    expect(rig.events.map((e) => [e.event, e.zone, e.detail])).toEqual([
      ['ON', 'Z1', 'schedule setpoint 20 °C, room 18 °C'],
      ['ON', null, 'pump on: a zone valve is opening'],
      ['ON', null, 'boiler on: a zone valve is open'],
    ]);
  });

  it('turns the boiler off first and runs the pump and the last valve on for the overrun', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], plant));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    rig.run(110, rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    rig.advance(10);
    rig.tick(rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: false });
    const tail = rig.events.slice(-3).map((e) => [e.event, e.zone, e.detail]);
    expect(tail).toEqual([
      ['OFF', null, 'boiler off: no zone calls for heat; pump overrun'],
      ['OFF', 'Z1', 'pump overrun over'],
      ['OFF', null, 'pump off: overrun over'],
    ]);
  });

  it('hands over to a zone that calls during the overrun, firing only once its valve is open', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], plant));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(20.5));
    rig.advance(10);
    rig.tick(rooms(20.5, 18));
    expect(levels(rig)).toEqual({ Z1: false, Z2: true, boiler: false, pump: true });
    rig.advance(10);
    rig.tick(rooms(20.5, 18));
    expect(levels(rig)).toEqual({ Z1: false, Z2: true, boiler: true, pump: true });
  });

  it('fires again at once when the overrunning zone itself calls again', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], plant));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(20.5));
    rig.advance(10);
    rig.tick(rooms(19));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: true, pump: true });
    expect(rig.events.filter((e) => e.zone === 'Z1' && e.event === 'OFF')).toEqual([]);
  });

  it('hands heat from one zone to another without dropping the boiler for a tick (make before break)', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], plant));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(20.5, 18)); // Z1 satisfied and Z2 calling in the same tick
    expect(levels(rig)).toEqual({ Z1: true, Z2: true, boiler: true, pump: true });
    rig.advance(10);
    rig.tick(rooms(20.5, 18));
    expect(levels(rig)).toEqual({ Z1: false, Z2: true, boiler: true, pump: true });
    expect(rig.events.filter((e) => e.zone === null && e.event === 'OFF')).toEqual([]);
  });

  it('closes a valve over its high limit at once, leaving the pump to run on alone', () => {
    const rig = new Rig(configOf([heatZone('Z1', { high_limit_c: 25 }), heatZone('Z2')], plant));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(25));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: true });
    rig.advance(120);
    rig.tick(rooms(25));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: false });
  });

  it('with no overrun configured, closes everything together', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], { ...plant, pump_overrun_s: 0 }));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: false });
  });

  it('orders the valve before a boiler that has no pump output of its own', () => {
    const rig = new Rig(configOf([heatZone('Z1')], { boiler_output: 'boiler' }));
    rig.tick(readingsOf({ Z1: { room: ok(18) } }));
    expect([rig.output('valve-Z1'), rig.output('boiler')]).toEqual([true, false]);
    expect(rig.last?.outputs.has('pump')).toBe(false);
    rig.advance(10);
    rig.tick(readingsOf({ Z1: { room: ok(18) } }));
    expect(rig.output('boiler')).toBe(true);
  });

  it('without a boiler or pump output, drives only the zone outputs', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')]));
    rig.tick(rooms(18));
    expect([...(rig.last?.outputs.entries() ?? [])]).toEqual([
      ['valve-Z1', true],
      ['valve-Z2', false],
    ]);
  });
});

describe('boiler and pump minimum times', () => {
  const timed = { ...plant, boiler_min_on_s: 180, boiler_min_off_s: 240, pump_min_on_s: 60, pump_min_off_s: 90 };

  it('keeps the boiler off for its minimum off time while the valve and pump wait on it', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], { ...timed, boiler_min_on_s: 0, pump_min_off_s: 0 }));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(20.5)); // boiler off, overrun begins
    const boilerOff = rig.mono;
    rig.advance(10);
    rig.tick(rooms(19));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    while (rig.mono - boilerOff < 240_000 - 10_000) {
      rig.advance(10);
      rig.tick(rooms(19));
      expect(rig.output('boiler')).toBe(false);
    }
    rig.advance(10);
    rig.tick(rooms(19));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: true, pump: true });
    expect(rig.state.boiler.changed.mono - boilerOff).toBe(240_000);
  });

  it('keeps the boiler firing into the open valve for its minimum on time, then runs the whole overrun', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], timed));
    rig.tick(rooms(18));
    rig.advance(10);
    rig.tick(rooms(18));
    expect(rig.output('boiler')).toBe(true);
    const fired = rig.mono;
    rig.advance(10);
    rig.run(160, rooms(20.5)); // satisfied 10 s after firing; held to 170 s
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: true, pump: true });
    rig.advance(10);
    rig.tick(rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    expect(rig.state.boiler.changed.mono - fired).toBe(180_000);
    // The overrun counts from the boiler going off, not from when the zone was satisfied.
    rig.run(110, rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    rig.advance(10);
    rig.tick(rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: false });
    expect(rig.events.filter((e) => e.zone === null).map((e) => e.detail)).toEqual([
      'pump on: a zone valve is opening',
      'boiler on: a zone valve is open',
      'boiler off: no zone calls for heat; pump overrun',
      'pump off: overrun over',
    ]);
  });

  it('cuts the minimum on time short when the only open valve closes at its high limit (never fire into closed valves)', () => {
    const rig = new Rig(configOf([heatZone('Z1', { high_limit_c: 25 }), heatZone('Z2')], timed));
    rig.run(20, rooms(18));
    expect(rig.output('boiler')).toBe(true);
    rig.advance(10);
    rig.tick(rooms(25));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: true });
  });

  it('waits out the pump minimum off time, and fires the boiler only into a pump that ran a tick already', () => {
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], { ...timed, pump_overrun_s: 0, boiler_min_on_s: 0, boiler_min_off_s: 0, pump_min_on_s: 0 }));
    rig.run(60, rooms(18));
    rig.advance(10);
    rig.tick(rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: false });
    const pumpOff = rig.mono;
    rig.advance(10);
    rig.tick(rooms(18));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: false });
    while (rig.mono - pumpOff < 90_000 - 10_000) {
      rig.advance(10);
      rig.tick(rooms(18));
      expect([rig.output('pump'), rig.output('boiler')]).toEqual([false, false]);
    }
    rig.advance(10);
    rig.tick(rooms(18));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    rig.advance(10);
    rig.tick(rooms(18));
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: true, pump: true });
  });

  it('runs the pump on for its minimum on time: the overrun stretched, or alone with no overrun', () => {
    const long = { ...timed, pump_overrun_s: 30, pump_min_on_s: 120, boiler_min_on_s: 0 };
    const rig = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], long));
    rig.run(20, rooms(18)); // pump on at 0 s
    rig.advance(10);
    rig.tick(rooms(20.5)); // overrun from 30 s
    rig.run(80, rooms(20.5)); // to 110 s: past the 30 s overrun, inside the pump's 120 s
    expect(levels(rig)).toEqual({ Z1: true, Z2: false, boiler: false, pump: true });
    rig.advance(10);
    rig.tick(rooms(20.5));
    expect(levels(rig)).toEqual({ Z1: false, Z2: false, boiler: false, pump: false });

    const alone = new Rig(configOf([heatZone('Z1'), heatZone('Z2')], { ...long, pump_overrun_s: 0 }));
    alone.run(20, rooms(18));
    alone.advance(10);
    alone.tick(rooms(20.5));
    expect(levels(alone)).toEqual({ Z1: false, Z2: false, boiler: false, pump: true });
    alone.run(80, rooms(20.5));
    expect(alone.output('pump')).toBe(true);
    alone.advance(10);
    alone.tick(rooms(20.5));
    expect(alone.output('pump')).toBe(false);
  });
});
