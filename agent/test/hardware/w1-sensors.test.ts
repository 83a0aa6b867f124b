import { afterEach, describe, expect, it } from 'vitest';
import type { Clock, SensorReading } from '../../src/hardware/types.js';
import type { Ds18b20Driver } from '../../src/hardware/w1-driver.js';
import { classifyW1Slave, W1SensorBus, w1SensorConfigSchema } from '../../src/hardware/w1-sensors.js';
import { FakeW1Tree, scratchpad, w1SlaveText } from '../../../test/fakes/w1-tree.js';

const ROOM = '28-00000abcdef0';
const PIPE = '28-0000012345ab';
const OUTDOOR = '28-000000000200';

function manualClock(): Clock & { advance(ms: number): void } {
  let mono = 0;
  return { now: () => 1_700_000_000_000 + mono, monotonic: () => mono, advance: (ms) => (mono += ms) };
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function setup(config: Record<string, unknown> = {}, driver?: Ds18b20Driver) {
  const tree = FakeW1Tree.create();
  const clock = manualClock();
  const bus = new W1SensorBus(w1SensorConfigSchema.parse({ w1Directory: tree.dir, ...config }), driver ? { clock, driver } : { clock });
  cleanups.push(() => bus.close(), () => tree.remove());
  return { tree, clock, bus };
}

async function readOne(bus: W1SensorBus, id: string): Promise<SensorReading> {
  const reading = (await bus.readAll([id])).get(id);
  if (!reading) throw new Error(`no reading for ${id}`);
  return reading;
}

describe('the fake w1 tree', () => {
  it('writes what w1_therm writes', () => {
    expect(w1SlaveText(scratchpad(23.125))).toBe('72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n');
    expect(w1SlaveText(Array(9).fill(0xff))).toMatch(/^(ff ){9}: crc=c9 NO\n(ff ){9}t=-62\n$/);
  });
});

describe('W1SensorBus on ds18b20-raspi', () => {
  it('reads temperatures, negative ones too, stamped with wall time', async () => {
    const { tree, clock, bus } = setup();
    tree.reading(ROOM, 23.125);
    tree.reading(OUTDOOR, -10.5);
    const readings = await bus.readAll([ROOM, OUTDOOR]);
    expect([...readings.keys()]).toEqual([ROOM, OUTDOOR]);
    expect(readings.get(ROOM)).toEqual({ ok: true, celsius: 23.125, at: clock.now() });
    expect(readings.get(OUTDOOR)).toEqual({ ok: true, celsius: -10.5, at: clock.now() });
  });

  it('reports crc=.. NO as a crc fault', async () => {
    const { tree, bus } = setup();
    tree.crcFailure(ROOM, 21);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: false, fault: 'crc', detail: expect.stringMatching(/crc=[0-9a-f]{2} NO/) });
  });

  it('reports t=85000 from a sensor that just reset as power_on', async () => {
    const { tree, bus } = setup();
    tree.powerOn(ROOM);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: false, fault: 'power_on' });
  });

  it('believes 85.000 °C from a pipe sensor that was just near it', async () => {
    const { tree, clock, bus } = setup();
    tree.reading(PIPE, 84.5);
    expect(await readOne(bus, PIPE)).toMatchObject({ ok: true, celsius: 84.5 });
    clock.advance(10_000);
    tree.reading(PIPE, 85);
    expect(await readOne(bus, PIPE)).toMatchObject({ ok: true, celsius: 85 });
  });

  it('reports t=-127000 as disconnected', async () => {
    const { tree, bus } = setup();
    tree.reading(ROOM, -127);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: false, fault: 'disconnected', detail: expect.stringContaining('-127') });
  });

  it('reports an all-ones read, an all-zeros read and an empty read as disconnected', async () => {
    const { tree, bus } = setup();
    tree.allOnes(ROOM);
    tree.allZeros(PIPE);
    tree.empty(OUTDOOR);
    const readings = await bus.readAll([ROOM, PIPE, OUTDOOR]);
    expect(readings.get(ROOM)).toMatchObject({ ok: false, fault: 'disconnected', detail: expect.stringContaining('all ones') });
    expect(readings.get(PIPE)).toMatchObject({ ok: false, fault: 'disconnected', detail: expect.stringContaining('all zeros') });
    expect(readings.get(OUTDOOR)).toMatchObject({ ok: false, fault: 'disconnected', detail: expect.stringContaining('empty') });
  });

  it('reads a good temperature whose CRC happens to be 00, which ds18b20-raspi alone reports as null', async () => {
    let celsius = 10;
    while (scratchpad(celsius)[8] !== 0) celsius += 1 / 16;
    const { tree, bus } = setup();
    tree.reading(ROOM, celsius);
    expect(w1SlaveText(scratchpad(celsius))).toContain(': crc=00 YES');
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true, celsius });
  });

  it('reports a sensor not on the bus, a device without w1_slave and a malformed id as missing', async () => {
    const { tree, bus } = setup();
    tree.reading(PIPE, 50);
    tree.removeFile(PIPE);
    const readings = await bus.readAll([ROOM, PIPE, '../../etc']);
    expect(readings.get(ROOM)).toMatchObject({ ok: false, fault: 'missing', detail: expect.stringContaining('not on the 1-wire bus') });
    expect(readings.get(PIPE)).toMatchObject({ ok: false, fault: 'missing', detail: expect.stringContaining('no w1_slave') });
    expect(readings.get('../../etc')).toMatchObject({ ok: false, fault: 'missing', detail: expect.stringContaining('not a 1-wire device id') });
  });

  it('a sensor that comes back after going missing reads again', async () => {
    const { tree, clock, bus } = setup();
    tree.reading(ROOM, 20);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true });
    tree.removeDevice(ROOM);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: false, fault: 'missing' });
    clock.advance(60_000);
    tree.reading(ROOM, 20.5);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true, celsius: 20.5 });
  });

  it('reports a value outside the DS18B20 range as out_of_range', async () => {
    const { tree, bus } = setup();
    tree.reading(ROOM, 130);
    tree.reading(PIPE, -60);
    const readings = await bus.readAll([ROOM, PIPE]);
    expect(readings.get(ROOM)).toMatchObject({ ok: false, fault: 'out_of_range', detail: expect.stringContaining('DS18B20') });
    expect(readings.get(PIPE)).toMatchObject({ ok: false, fault: 'out_of_range' });
  });

  it('reports a value outside what the sensor place can be as out_of_range, per sensor', async () => {
    const { tree, bus } = setup({ places: { [ROOM]: { min: 0, max: 35 } } });
    tree.reading(ROOM, 40);
    tree.reading(PIPE, 40);
    const readings = await bus.readAll([ROOM, PIPE]);
    expect(readings.get(ROOM)).toMatchObject({ ok: false, fault: 'out_of_range', detail: expect.stringContaining("place can be (0..35") });
    expect(readings.get(PIPE)).toMatchObject({ ok: true, celsius: 40 });
  });

  it('rejects a single implausible jump, then keeps reading the real level', async () => {
    const { tree, clock, bus } = setup({ plausibility: { maxCelsiusPerMinute: 2, marginCelsius: 0.5, confirmReadings: 3 } });
    tree.reading(ROOM, 20);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true, celsius: 20 });
    clock.advance(10_000);
    tree.reading(ROOM, 36);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: false, fault: 'implausible_jump', detail: expect.stringContaining('16 °C from 20 °C') });
    clock.advance(10_000);
    tree.reading(ROOM, 20.25);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true, celsius: 20.25 });
  });

  it('accepts a sustained new level once it has persisted', async () => {
    const { tree, clock, bus } = setup({ plausibility: { maxCelsiusPerMinute: 2, marginCelsius: 0.5, confirmReadings: 3 } });
    tree.reading(ROOM, 20);
    await readOne(bus, ROOM);
    const seen: SensorReading[] = [];
    for (const celsius of [36, 36.0625, 36]) {
      clock.advance(10_000);
      tree.reading(ROOM, celsius);
      seen.push(await readOne(bus, ROOM));
    }
    expect(seen.map((r) => (r.ok ? r.celsius : r.fault))).toEqual(['implausible_jump', 'implausible_jump', 36]);
    // The new level is now the reference: a small step from it is fine, a drop back to 20 is the jump.
    clock.advance(10_000);
    tree.reading(ROOM, 36.125);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true, celsius: 36.125 });
  });

  it('fails every sensor of a pass on a hung bus within the timeout, and recovers on the next pass', async () => {
    const { tree, bus } = setup({ readTimeoutMs: 300 });
    tree.reading(ROOM, 21);
    // A first pass starts the driver's thread, so the timeout below measures reads alone.
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true });
    const hung = tree.hung(PIPE);
    const started = performance.now();
    const readings = await bus.readAll([ROOM, PIPE]);
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(readings.get(ROOM)).toMatchObject({ ok: false, fault: 'read_error', detail: expect.stringContaining('no answer') });
    expect(readings.get(PIPE)).toMatchObject({ ok: false, fault: 'read_error' });
    // Release the stuck thread, as a bus that comes back would.
    expect(hung.answer(w1SlaveText(scratchpad(50)))).toBe(true);
    tree.removeDevice(PIPE);
    const after = await readOne(bus, ROOM);
    expect(after, JSON.stringify(after)).toMatchObject({ ok: true, celsius: 21 });
  });

  it('runs passes one at a time, so a pass queued behind a hung one still gets its full time', async () => {
    const { tree, bus } = setup({ readTimeoutMs: 300 });
    tree.reading(ROOM, 21);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true });
    const hung = tree.hung(PIPE);
    const [first, second] = await Promise.all([bus.readAll([PIPE]), bus.readAll([ROOM])]);
    expect(first.get(PIPE)).toMatchObject({ ok: false, fault: 'read_error', detail: expect.stringContaining('no answer') });
    expect(second.get(ROOM)).toMatchObject({ ok: true, celsius: 21 });
    expect(hung.answer(w1SlaveText(scratchpad(50)))).toBe(true);
  });

  it('turns a failing driver into read_error faults instead of throwing', async () => {
    const throwing: Ds18b20Driver = {
      readC: () => {
        throw new Error('EIO: bus master gone');
      },
      close: () => undefined,
    };
    const { tree, bus } = setup({}, throwing);
    tree.reading(ROOM, 20);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: false, fault: 'read_error', detail: 'EIO: bus master gone' });

    const rejecting: Ds18b20Driver = { readC: () => Promise.reject(new Error('worker died')), close: () => undefined };
    const second = setup({}, rejecting);
    second.tree.reading(ROOM, 20);
    expect(await readOne(second.bus, ROOM)).toMatchObject({ ok: false, fault: 'read_error', detail: 'worker died' });
  });

  it('answers once per distinct id, in the order asked', async () => {
    const { tree, bus } = setup();
    tree.reading(ROOM, 20);
    tree.reading(PIPE, 60);
    const readings = await bus.readAll([PIPE, ROOM, PIPE]);
    expect([...readings.keys()]).toEqual([PIPE, ROOM]);
    expect(readings.get(PIPE)).toMatchObject({ ok: true, celsius: 60 });
  });

  it('after close, reads are read_error faults, not throws', async () => {
    const { tree, bus } = setup();
    tree.reading(ROOM, 20);
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: true });
    bus.close();
    expect(await readOne(bus, ROOM)).toMatchObject({ ok: false, fault: 'read_error', detail: expect.stringContaining('closed') });
  });
});

describe('classifyW1Slave', () => {
  it('reads the t= value only after a YES', () => {
    expect(classifyW1Slave(w1SlaveText(scratchpad(-0.5)))).toEqual({ celsius: -0.5 });
    expect(classifyW1Slave('72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n')).toMatchObject({ fault: 'read_error' });
    expect(classifyW1Slave('garbage')).toMatchObject({ fault: 'read_error' });
  });
});
