import { describe, expect, it } from 'vitest';
import { ValidationError } from '@boiler/shared';
import { SimFault, UnknownFaultTargetError } from '../../src/hardware/simulator/index.js';
import { HOUR, MINUTE, heatZone, readOne, referenceHouse } from './reference-house.js';

const ROOM1 = '28-000000000001';
const PIPE1 = '28-000000000101';

describe('sensor faults', () => {
  it('missing: the sensor reads as missing until cleared', async () => {
    const house = referenceHouse();
    house.inject({ kind: 'sensor_missing', sensor: ROOM1 });
    for (let i = 0; i < 3; i++) {
      const reading = await readOne(house, ROOM1);
      expect(reading).toEqual({ ok: false, fault: 'missing', detail: expect.any(String) as string, at: house.clock.now() });
      house.advance(MINUTE);
    }
    expect(await readOne(house, PIPE1)).toMatchObject({ ok: true });
    house.inject({ kind: 'clear', target: ROOM1 });
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: true });
  });

  it('a counted fault lasts exactly that many reads', async () => {
    const house = referenceHouse();
    house.inject({ kind: 'sensor_missing', sensor: ROOM1, reads: 2 });
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: false, fault: 'missing' });
    // Reading other sensors does not use up this one's reads.
    await readOne(house, PIPE1);
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: false, fault: 'missing' });
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: true });
  });

  it('power-on: the next read is the 85 °C glitch, then the sensor reads again', async () => {
    const house = referenceHouse({ sensorNoiseC: 0 });
    house.inject({ kind: 'sensor_power_on', sensor: PIPE1 });
    const glitch = await readOne(house, PIPE1);
    expect(glitch).toMatchObject({ ok: false, fault: 'power_on' });
    expect(glitch.ok === false && glitch.detail).toContain('85');
    expect(await readOne(house, PIPE1)).toEqual({ ok: true, celsius: 18, at: house.clock.now() });

    house.inject({ kind: 'sensor_power_on', sensor: PIPE1, reads: 3 });
    const faults = [];
    for (let i = 0; i < 4; i++) faults.push((await readOne(house, PIPE1)).ok);
    expect(faults).toEqual([false, false, false, true]);
  });

  it('crc: the read fails its CRC', async () => {
    const house = referenceHouse();
    house.inject({ kind: 'sensor_crc', sensor: ROOM1 });
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: false, fault: 'crc' });
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: false, fault: 'crc' });
  });

  it('disconnected: the open line reads -127 °C', async () => {
    const house = referenceHouse();
    house.inject({ kind: 'sensor_disconnected', sensor: '28-000000000200' });
    expect(await readOne(house, '28-000000000200')).toMatchObject({ ok: false, fault: 'disconnected' });
  });

  it('a new fault on a sensor replaces the old one', async () => {
    const house = referenceHouse();
    house.inject({ kind: 'sensor_missing', sensor: ROOM1 });
    house.inject({ kind: 'sensor_crc', sensor: ROOM1, reads: 1 });
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: false, fault: 'crc' });
    expect(await readOne(house, ROOM1)).toMatchObject({ ok: true });
  });
});

describe('a stuck relay', () => {
  function firingHouse() {
    const house = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 18 } });
    house.relays.set('boiler', true);
    house.relays.set('pump', true);
    return house;
  }

  it('stuck on: get() reports the command while the zone keeps heating', () => {
    const house = firingHouse();
    house.inject({ kind: 'relay_stuck', output: 'zone1', on: true });
    house.relays.set('zone1', false);
    expect(house.relays.get('zone1')).toBe(false);
    expect(house.snapshot().outputs.zone1).toEqual({ commanded: false, physical: true });
    house.advance(15 * MINUTE);
    expect(heatZone(house.snapshot(), 'Z1').pipeC).toBeGreaterThan(50);
    // Going to the safe state does not free welded contacts.
    house.relays.safeState();
    expect(house.snapshot().outputs.zone1).toEqual({ commanded: false, physical: true });
  });

  it('stuck off: the zone gets no heat though commanded on, until cleared', () => {
    const house = firingHouse();
    house.inject({ kind: 'relay_stuck', output: 'zone1', on: false });
    house.relays.set('zone1', true);
    expect(house.relays.get('zone1')).toBe(true);
    house.advance(15 * MINUTE);
    expect(heatZone(house.snapshot(), 'Z1').pipeC).toBeLessThan(18);
    house.inject({ kind: 'clear', target: 'zone1' });
    expect(house.snapshot().outputs.zone1).toEqual({ commanded: true, physical: true });
    house.advance(15 * MINUTE);
    expect(heatZone(house.snapshot(), 'Z1').pipeC).toBeGreaterThan(50);
  });

  it('a stuck boiler relay keeps the burner firing', () => {
    const house = referenceHouse();
    house.inject({ kind: 'relay_stuck', output: 'boiler', on: true });
    expect(house.relays.get('boiler')).toBe(false);
    expect(house.inputs.read('burner')).toBe(true);
    house.advance(30 * MINUTE);
    expect(house.snapshot().boilerC).toBeGreaterThan(70);
  });
});

describe('a noisy thermostat input', () => {
  function chatterRun(seed: number) {
    const house = referenceHouse({ seed, outdoor: { fixedC: -10 }, initial: { roomC: 15 } });
    house.inject({ kind: 'input_chatter', input: 'tstat1', flip_probability: 0.3, period_ms: 1000 });
    const seen: boolean[] = [];
    for (let i = 0; i < 400; i++) {
      seen.push(house.inputs.read('tstat1'));
      house.advance(1000);
    }
    return { house, seen };
  }

  it('chatters around the true call, seeded', () => {
    const { house, seen } = chatterRun(5);
    expect(heatZone(house.snapshot(), 'Z1').roomC).toBeLessThan(19.5); // the true call is on throughout
    const offs = seen.filter((v) => !v).length;
    expect(offs / seen.length).toBeGreaterThan(0.2);
    expect(offs / seen.length).toBeLessThan(0.4);
    expect(chatterRun(5).seen).toEqual(seen);
    expect(chatterRun(6).seen).not.toEqual(seen);
    // Other inputs stay steady.
    expect(house.inputs.read('tstat2')).toBe(true);
  });

  it('holds one value within a period however often it is read', () => {
    const { house } = chatterRun(5);
    const reads = Array.from({ length: 20 }, () => house.inputs.read('tstat1'));
    expect(new Set(reads).size).toBe(1);
  });

  it('reads steadily again once cleared', () => {
    const { house } = chatterRun(5);
    house.clearFaults();
    for (let i = 0; i < 50; i++) {
      expect(house.inputs.read('tstat1')).toBe(true);
      house.advance(1000);
    }
  });
});

describe('a burner lockout', () => {
  it('leaves the burner cold and its input off though the boiler is enabled', () => {
    const house = referenceHouse({ outdoor: { fixedC: -10 } });
    house.inject({ kind: 'burner_lockout' });
    house.relays.set('boiler', true);
    house.relays.set('pump', true);
    house.relays.set('zone1', true);
    house.advance(30 * MINUTE);
    expect(house.inputs.read('burner')).toBe(false);
    expect(house.snapshot().boilerC).toBeLessThan(20);
    house.inject({ kind: 'clear', target: 'burner' });
    expect(house.inputs.read('burner')).toBe(true);
  });
});

describe('the fault spec', () => {
  it('lists what is injected and clears everything', () => {
    const house = referenceHouse();
    house.inject({ kind: 'sensor_power_on', sensor: ROOM1 });
    house.inject({ kind: 'sensor_crc', sensor: PIPE1, reads: 4 });
    house.inject({ kind: 'relay_stuck', output: 'pump', on: true });
    house.inject({ kind: 'input_chatter', input: 'tstat3' });
    house.inject({ kind: 'burner_lockout' });
    expect(house.activeFaults()).toEqual([
      { kind: 'sensor_power_on', sensor: ROOM1, reads: 1 },
      { kind: 'sensor_crc', sensor: PIPE1, reads: 4 },
      { kind: 'relay_stuck', output: 'pump', on: true },
      { kind: 'input_chatter', input: 'tstat3', flip_probability: 0.5, period_ms: 1000 },
      { kind: 'burner_lockout' },
    ]);
    house.inject({ kind: 'clear' });
    expect(house.activeFaults()).toEqual([]);
    house.inject({ kind: 'sensor_missing', sensor: ROOM1 });
    house.clearFaults();
    expect(house.activeFaults()).toEqual([]);
  });

  it('is a zod schema that refuses malformed specs, as they arrive over HTTP', () => {
    expect(SimFault.parse({ kind: 'sensor_power_on', sensor: ROOM1 })).toEqual({ kind: 'sensor_power_on', sensor: ROOM1, reads: 1 });
    for (const bad of [
      { kind: 'sensor_melted', sensor: ROOM1 },
      { kind: 'sensor_missing' },
      { kind: 'sensor_missing', sensor: ROOM1, extra: 1 },
      { kind: 'sensor_crc', sensor: ROOM1, reads: 0 },
      { kind: 'relay_stuck', output: 'zone1' },
      { kind: 'input_chatter', input: 'tstat1', flip_probability: 1.5 },
      'clear',
    ]) {
      expect(SimFault.safeParse(bad).success, JSON.stringify(bad)).toBe(false);
    }
    const house = referenceHouse();
    expect(() => house.inject({ kind: 'sensor_crc', sensor: ROOM1, reads: -1 })).toThrow(ValidationError);
  });

  it('refuses targets the house does not have, or of the wrong sort', () => {
    const house = referenceHouse();
    expect(() => house.inject({ kind: 'sensor_missing', sensor: '28-0000deadbeef' })).toThrow(UnknownFaultTargetError);
    expect(() => house.inject({ kind: 'relay_stuck', output: ROOM1, on: true })).toThrow(UnknownFaultTargetError);
    expect(() => house.inject({ kind: 'input_chatter', input: 'zone1' })).toThrow(UnknownFaultTargetError);
    expect(() => house.inject({ kind: 'clear', target: 'nothing' })).toThrow(UnknownFaultTargetError);
    expect(house.activeFaults()).toEqual([]);
  });

  it('leaves the physics alone: a faulted sensor still has a true temperature', async () => {
    const house = referenceHouse({ outdoor: { fixedC: -10 }, initial: { roomC: 20 } });
    house.inject({ kind: 'sensor_missing', sensor: ROOM1 });
    house.advance(2 * HOUR);
    expect(house.snapshot().sensors[ROOM1]).toBeLessThan(19);
    house.clearFaults();
    const reading = await readOne(house, ROOM1);
    expect(reading.ok && Math.abs(reading.celsius - heatZone(house.snapshot(), 'Z1').roomC)).toBeLessThan(0.06);
  });
});
