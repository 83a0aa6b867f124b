import { describe, expect, it } from 'vitest';
import { emitterOutputW } from '../../src/hardware/simulator/physics.js';
import { HOUR, MINUTE, heatZone, referenceHouse, referenceZones, tankZone } from './reference-house.js';

const HEAT_ZONES = Array.from({ length: 13 }, (_, i) => `Z${i + 1}`);

describe('an unheated house in the cold', () => {
  it('cools toward the outdoor temperature over hours, not minutes', () => {
    const house = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 20 } });

    house.advance(10 * MINUTE);
    const tenMinutes = house.snapshot();
    house.advance(50 * MINUTE);
    const oneHour = house.snapshot();
    house.advance(5 * HOUR);
    const sixHours = house.snapshot();

    for (const name of HEAT_ZONES) {
      const after10 = heatZone(tenMinutes, name).roomC;
      const after1h = heatZone(oneHour, name).roomC;
      const after6h = heatZone(sixHours, name).roomC;
      expect(after10, name).toBeLessThan(20);
      expect(20 - after10, `${name} after 10 min`).toBeLessThan(0.5);
      expect(20 - after1h, `${name} after 1 h`).toBeGreaterThan(0.5);
      expect(20 - after1h, `${name} after 1 h`).toBeLessThan(3);
      expect(20 - after6h, `${name} after 6 h`).toBeGreaterThan(3);
      expect(20 - after6h, `${name} after 6 h`).toBeLessThan(12);
      expect(after6h, name).toBeGreaterThan(-10);
    }
  });

  it('cools more slowly as the room nears the outdoor temperature, and never passes it', () => {
    const house = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 20 }, maxStepMs: 10_000 });
    house.advance(6 * HOUR);
    const firstDrop = 20 - heatZone(house.snapshot(), 'Z1').roomC;
    const mid = heatZone(house.snapshot(), 'Z1').roomC;
    house.advance(6 * HOUR);
    const secondDrop = mid - heatZone(house.snapshot(), 'Z1').roomC;
    expect(secondDrop).toBeGreaterThan(0);
    expect(secondDrop).toBeLessThan(firstDrop);
    house.advance(10 * 24 * HOUR);
    const tenDays = heatZone(house.snapshot(), 'Z1');
    expect(tenDays.roomC).toBeGreaterThan(-10);
    expect(tenDays.roomC).toBeCloseTo(-10, 1);
  });

  it('leaves the pipes colder than their rooms, since the runs pass through outside walls', () => {
    const house = referenceHouse({ outdoor: { fixedC: -20 }, initial: { roomC: 10 } });
    house.advance(3 * HOUR);
    const z1 = heatZone(house.snapshot(), 'Z1');
    expect(z1.pipeC).toBeLessThan(z1.roomC - 1);
    expect(z1.pipeC).toBeGreaterThan(-20);
  });
});

describe('a zone heating', () => {
  function heatingZ1(initialRoomC = 18) {
    const house = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: initialRoomC } });
    house.relays.set('zone1', true);
    house.relays.set('boiler', true);
    house.relays.set('pump', true);
    return house;
  }

  it('warms its pipe within minutes while the boiler fires, and the boiler holds near 75 °C', () => {
    const house = heatingZ1();
    const before = heatZone(house.snapshot(), 'Z1').pipeC;
    house.advance(5 * MINUTE);
    expect(heatZone(house.snapshot(), 'Z1').pipeC).toBeGreaterThan(before + 20);
    house.advance(10 * MINUTE);
    const s = house.snapshot();
    expect(heatZone(s, 'Z1').pipeC).toBeGreaterThan(50);
    expect(s.boilerC).toBeGreaterThan(70);
    expect(s.boilerC).toBeLessThanOrEqual(75);
  });

  it('warms its room while another zone, left off, keeps a cool pipe and keeps cooling', () => {
    const house = heatingZ1();
    house.advance(2 * HOUR);
    const s = house.snapshot();
    expect(heatZone(s, 'Z1').roomC).toBeGreaterThan(19);
    expect(heatZone(s, 'Z1').circulating).toBe(true);
    const z2 = heatZone(s, 'Z2');
    expect(z2.circulating).toBe(false);
    expect(z2.pipeC).toBeLessThan(18);
    expect(z2.roomC).toBeLessThan(18);
  });

  it('gives its room no more than the emitter rating, even from a cold room', () => {
    const house = heatingZ1(0);
    let peak = 0;
    for (let i = 0; i < 60; i++) {
      house.advance(MINUTE);
      peak = Math.max(peak, heatZone(house.snapshot(), 'Z1').emitterW);
    }
    // Z1's emitter is rated 3960 W: the bound is reached and never passed.
    expect(peak).toBeCloseTo(3960, 6);
    expect(emitterOutputW(3960, 70)).toBe(3960);
    expect(emitterOutputW(3960, 50)).toBeCloseTo(3960, 9);
    expect(emitterOutputW(3960, 25)).toBeCloseTo(3960 * Math.pow(0.5, 1.3), 6);
    expect(emitterOutputW(3960, -25)).toBeCloseTo(-3960 * Math.pow(0.5, 1.3), 6);
  });

  it('gets no heat without the system pump, though the boiler fires', () => {
    const house = heatingZ1();
    house.relays.set('pump', false);
    house.advance(30 * MINUTE);
    const s = house.snapshot();
    expect(s.burnerFiring).toBe(true);
    expect(s.boilerC).toBeGreaterThan(70);
    expect(heatZone(s, 'Z1').circulating).toBe(false);
    expect(heatZone(s, 'Z1').pipeC).toBeLessThan(18);
  });

  it('gets no heat when the boiler is off, and the boiler cools once it stops firing', () => {
    const cold = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 18 } });
    cold.relays.set('zone1', true);
    cold.relays.set('pump', true);
    cold.advance(30 * MINUTE);
    expect(cold.snapshot().burnerFiring).toBe(false);
    expect(heatZone(cold.snapshot(), 'Z1').pipeC).toBeLessThan(18);

    const hot = heatingZ1();
    hot.advance(30 * MINUTE);
    const firing = hot.snapshot();
    hot.relays.set('boiler', false);
    hot.advance(30 * MINUTE);
    const s = hot.snapshot();
    expect(s.burnerW).toBe(0);
    expect(s.boilerC).toBeLessThan(firing.boilerC - 15);
    expect(heatZone(s, 'Z1').pipeC).toBeLessThan(heatZone(firing, 'Z1').pipeC - 10);
    // With the pump still running, the boiler's heat was purged into the zone, not lost.
    expect(heatZone(s, 'Z1').roomC).toBeGreaterThan(heatZone(firing, 'Z1').roomC);
  });
});

describe('the design cold', () => {
  it('at -30 °C outdoors, every emitter running flat out holds its room above 15 °C', () => {
    // The basis of the -30 °C closed-loop run: at full duty every room of the reference house is
    // well above 5 °C even then, so a blind room that falls below is the duty cycle's doing. Not
    // above 20 °C, as issue 9 supposed: the boiler modulates near a 72 °C supply, the loops run
    // near 60 °C (emitters at about 80 % of their 50 K rating) and the pipe runs lose a fifth of
    // their heat outdoors, so the biggest rooms settle near 15 °C (Z9 15.1, Z1 16.1, Z5 19.2; Z4 24.3).
    const house = referenceHouse({ outdoor: { fixedC: -30 }, initial: { roomC: 20 } });
    for (const o of ['boiler', 'pump', ...referenceZones().zones.map((z) => z.output)]) house.relays.set(o, true);
    let lowest = Number.POSITIVE_INFINITY;
    for (let h = 0; h < 48; h++) {
      house.advance(HOUR);
      const snap = house.snapshot();
      if (h >= 24) for (const name of HEAT_ZONES) lowest = Math.min(lowest, heatZone(snap, name).roomC);
    }
    expect(lowest).toBeGreaterThan(15);
  });
});

describe('the water heater (an on/off zone)', () => {
  it('heats its tank while on and loses heat slowly while off', () => {
    const house = referenceHouse({ outdoor: { fixedC: -10 }, initial: { tankC: 40 } });
    house.advance(HOUR);
    const idle = tankZone(house.snapshot(), 'Z14').tankC;
    expect(idle).toBeLessThan(40);
    expect(idle).toBeGreaterThan(39);

    house.relays.set('zone14', true);
    house.relays.set('boiler', true);
    house.relays.set('pump', true);
    house.advance(30 * MINUTE);
    const heated = tankZone(house.snapshot(), 'Z14').tankC;
    expect(heated).toBeGreaterThan(idle + 10);
    expect(heated).toBeLessThan(75);
    expect(heatZone(house.snapshot(), 'Z1').pipeC).toBeLessThan(18);

    house.relays.safeState();
    house.advance(4 * HOUR);
    const later = tankZone(house.snapshot(), 'Z14').tankC;
    expect(later).toBeLessThan(heated);
    expect(heated - later).toBeLessThan(4);
  });
});

describe('the burner input', () => {
  it('follows the boiler output', () => {
    const house = referenceHouse();
    expect(house.inputs.read('burner')).toBe(false);
    house.relays.set('boiler', true);
    expect(house.inputs.read('burner')).toBe(true);
    house.advance(MINUTE);
    expect(house.inputs.read('burner')).toBe(true);
    house.relays.set('boiler', false);
    expect(house.inputs.read('burner')).toBe(false);
    // A zone valve alone does not fire a boiler that has its own enable relay.
    house.relays.set('zone3', true);
    expect(house.inputs.read('burner')).toBe(false);
  });

  it('follows any zone output when the house has no boiler relay', () => {
    const file = referenceZones();
    delete file.boiler_output;
    const house = referenceHouse({ outdoor: { fixedC: -10 } }, file);
    expect(house.relays.outputs()).not.toContain('boiler');
    expect(house.inputs.read('burner')).toBe(false);
    house.relays.set('zone3', true);
    expect(house.inputs.read('burner')).toBe(true);
    house.relays.set('pump', true);
    house.advance(15 * MINUTE);
    expect(heatZone(house.snapshot(), 'Z3').pipeC).toBeGreaterThan(45);
    house.relays.set('zone3', false);
    expect(house.inputs.read('burner')).toBe(false);
  });
});

describe('stepping', () => {
  function scenario(stepMs: number) {
    const house = referenceHouse({ initial: { roomC: 16 } }); // the day cycle: outdoor moves too
    const run = (ms: number) => {
      let left = ms;
      while (left > 0) {
        const dt = Math.min(stepMs, left);
        house.advance(dt);
        left -= dt;
      }
    };
    house.relays.set('zone1', true);
    house.relays.set('zone14', true);
    house.relays.set('boiler', true);
    house.relays.set('pump', true);
    run(2 * HOUR);
    house.relays.safeState();
    run(4 * HOUR);
    return house.snapshot();
  }

  it('gives the same result for one large advance as for many small ones', () => {
    const large = scenario(6 * HOUR);
    const small = scenario(997);
    const seconds = scenario(2000);
    expect(small.monotonicMs).toBe(large.monotonicMs);
    expect(small.wallMs).toBe(large.wallMs);
    for (const s of [small, seconds]) {
      expect(s.boilerC).toBeCloseTo(large.boilerC, 1);
      expect(heatZone(s, 'Z1').roomC).toBeCloseTo(heatZone(large, 'Z1').roomC, 2);
      expect(heatZone(s, 'Z1').pipeC).toBeCloseTo(heatZone(large, 'Z1').pipeC, 1);
      expect(heatZone(s, 'Z9').roomC).toBeCloseTo(heatZone(large, 'Z9').roomC, 2);
      expect(tankZone(s, 'Z14').tankC).toBeCloseTo(tankZone(large, 'Z14').tankC, 1);
    }
    // It did heat: a scenario that never stepped would also "agree".
    expect(heatZone(large, 'Z1').roomC).toBeGreaterThan(heatZone(large, 'Z2').roomC + 1);
  });

  it('stays stable with the coarsest allowed step', () => {
    const fine = referenceHouse({ outdoor: { fixedC: -10 } });
    const coarse = referenceHouse({ outdoor: { fixedC: -10 }, maxStepMs: 10_000 });
    for (const house of [fine, coarse]) {
      for (const output of house.relays.outputs()) house.relays.set(output, true);
      house.advance(3 * HOUR);
    }
    const f = fine.snapshot();
    const c = coarse.snapshot();
    expect(c.boilerC).toBeCloseTo(f.boilerC, 0);
    expect(heatZone(c, 'Z9').pipeC).toBeCloseTo(heatZone(f, 'Z9').pipeC, 0);
    expect(c.boilerC).toBeLessThanOrEqual(75);
  });

  it('simulates 48 hours of the whole house in one advance', () => {
    const house = referenceHouse();
    house.relays.set('boiler', true);
    house.relays.set('pump', true);
    house.relays.set('zone5', true);
    // How fast is for `npm run bench`, not for a test on a noisy machine.
    house.advance(48 * HOUR);
    expect(house.clock.monotonic()).toBe(48 * HOUR);
    const z5 = house.snapshot().zones.Z5;
    expect(z5?.kind === 'heat' ? z5.roomC : Number.NaN).toBeGreaterThan(-15);
  });

  it('refuses a negative or non-finite step', () => {
    const house = referenceHouse();
    expect(() => house.advance(-1)).toThrow(RangeError);
    expect(() => house.advance(Number.NaN)).toThrow(RangeError);
    expect(() => house.advance(Number.POSITIVE_INFINITY)).toThrow(RangeError);
    expect(() => referenceHouse({ maxStepMs: 60_000 })).toThrow(RangeError);
    expect(() => referenceHouse({ timeZone: 'Mars/Olympus_Mons' })).toThrow(RangeError);
  });
});

describe('wall thermostats', () => {
  it('call for heat when their room is cold and not when it is warm', () => {
    const house = referenceHouse({ initial: { roomC: 20, zones: { Z1: { roomC: 15 }, Z2: { roomC: 23 } } } });
    expect(house.inputs.read('tstat1')).toBe(true);
    expect(house.inputs.read('tstat2')).toBe(false);
  });

  it('start calling below setpoint minus 0.5 °C and stop at the setpoint', () => {
    const house = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 20.3 } });
    expect(house.inputs.read('tstat1')).toBe(false);
    let roomAtCall = Number.NaN;
    for (let i = 0; i < 6 * 60 && Number.isNaN(roomAtCall); i++) {
      house.advance(MINUTE);
      const room = heatZone(house.snapshot(), 'Z1').roomC;
      if (room < 19.9) expect(house.inputs.read('tstat1'), `room ${room}`).toBe(room < 19.5);
      if (house.inputs.read('tstat1')) roomAtCall = room;
    }
    expect(roomAtCall).toBeLessThan(19.5);
    expect(roomAtCall).toBeGreaterThan(19.4);

    house.relays.set('zone1', true);
    house.relays.set('boiler', true);
    house.relays.set('pump', true);
    let roomAtStop = Number.NaN;
    for (let i = 0; i < 6 * 60 && Number.isNaN(roomAtStop); i++) {
      house.advance(MINUTE);
      const room = heatZone(house.snapshot(), 'Z1').roomC;
      if (!house.inputs.read('tstat1')) roomAtStop = room;
      else expect(room).toBeLessThan(20);
    }
    expect(roomAtStop).toBeGreaterThanOrEqual(20);
    expect(roomAtStop).toBeLessThan(20.2);
  });

  it('follow their own setpoint when it is turned', () => {
    const house = referenceHouse({ initial: { roomC: 19 } });
    expect(house.inputs.read('tstat4')).toBe(true);
    house.setThermostat('Z4', 16);
    expect(house.inputs.read('tstat4')).toBe(false);
    expect(house.snapshot().zones.Z4?.thermostat).toEqual({ setpointC: 16, callsForHeat: false });
    house.setThermostat('Z4', 22);
    expect(house.inputs.read('tstat4')).toBe(true);
    expect(() => house.setThermostat('Z99', 20)).toThrow(RangeError);
  });

  it('the water heater aquastat calls when its tank is cool', () => {
    const cool = referenceHouse({ initial: { tankC: 35 } });
    const hot = referenceHouse({ initial: { tankC: 60 } });
    expect(cool.inputs.read('tstat14')).toBe(true);
    expect(hot.inputs.read('tstat14')).toBe(false);
  });
});
