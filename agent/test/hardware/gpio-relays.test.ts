import { describe, expect, it } from 'vitest';
import type { GpioChip } from '../../src/hardware/gpio-chip.js';
import { BoardClosedError, GpioConfigError, GpioSetupError, loadOnoffGpio, UnknownChannelError } from '../../src/hardware/gpio-pin.js';
import { GpioRelayBoard, gpioRelayConfigSchema } from '../../src/hardware/gpio-relays.js';
import { FakeSysfsGpio } from '../../../test/fakes/sysfs-gpio-pins.js';

const pi4: GpioChip = { base: 512, ngpio: 58, label: 'pinctrl-bcm2711', path: '/sys/class/gpio/gpiochip512' };
const pins = { boiler: 17, pump: 27, zone1: 22 };
const gpioOf = (bcm: number): number => pi4.base + bcm;

function open(activeLow: boolean, fake = new FakeSysfsGpio()): { board: GpioRelayBoard; fake: FakeSysfsGpio } {
  const board = GpioRelayBoard.open(gpioRelayConfigSchema.parse({ pins, activeLow }), { chip: pi4, gpio: fake.factory });
  return { board, fake };
}

describe('GpioRelayBoard at boot', () => {
  it.each([
    { activeLow: true, released: 1, direction: 'high' },
    { activeLow: false, released: 0, direction: 'low' },
  ] as const)('drives every output to its released level as it becomes an output (activeLow $activeLow)', ({ activeLow, released, direction }) => {
    const { board, fake } = open(activeLow);
    expect(board.outputs()).toEqual(['boiler', 'pump', 'zone1']);
    for (const bcm of Object.values(pins)) {
      const gpio = gpioOf(bcm);
      // The first thing done to each line is the export with the safe level as the direction,
      // and sysfs active_low forced off so later value writes are not inverted twice.
      const first = fake.events.find((e) => e.gpio === gpio);
      expect(first).toEqual({ kind: 'export', gpio, direction, edge: 'none', options: { activeLow: false, reconfigureDirection: true } });
      // On the wire the line was never at the energising level: no relay clicked.
      expect(fake.driven(gpio)).toEqual([released]);
      expect(fake.events.some((e) => e.gpio === gpio && e.kind === 'write')).toBe(false);
    }
    for (const name of board.outputs()) expect(board.get(name)).toBe(false);
  });

  it('releases a relay left energised by a crash, whose line is still exported with active_low set', () => {
    const fake = new FakeSysfsGpio();
    // Active-low board, previous run died with the pump on: line low, and active_low=1 left behind.
    fake.preset(gpioOf(pins.pump), { direction: 'out', physical: 0, activeLow: true });
    const { board } = open(true, fake);
    expect(fake.physical(gpioOf(pins.pump))).toBe(1);
    board.set('pump', true);
    expect(fake.physical(gpioOf(pins.pump))).toBe(0);
    board.set('pump', false);
    expect(fake.physical(gpioOf(pins.pump))).toBe(1);
  });

  it('refuses a line whose active_low setup onoff silently skipped, and still releases it', () => {
    const fake = new FakeSysfsGpio();
    // Energised (low) by a crashed run, with active_low=1 left behind and not writable now.
    fake.preset(gpioOf(pins.zone1), { direction: 'out', physical: 0, activeLow: true });
    fake.failConfigureSilently(gpioOf(pins.zone1));
    expect(() => open(true, fake)).toThrow(/zone1 \(BCM 22\).*active_low is still set/);
    expect(fake.physical(gpioOf(pins.zone1))).toBe(1);
    expect(fake.exported()).toEqual([]);
  });

  it('refuses a line left as an input whose direction setup onoff silently skipped', () => {
    const fake = new FakeSysfsGpio();
    fake.preset(gpioOf(pins.pump), { direction: 'in', physical: 0 });
    fake.failConfigureSilently(gpioOf(pins.pump));
    expect(() => open(false, fake)).toThrow(/pump \(BCM 27\).*is in after setup, not out/);
    expect(fake.exported()).toEqual([]);
  });

  it('unexports the outputs it set up when a later one cannot be exported, leaving them released', () => {
    const fake = new FakeSysfsGpio();
    fake.failExport(gpioOf(pins.zone1));
    let thrown: unknown;
    try {
      open(true, fake);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GpioSetupError);
    expect((thrown as GpioSetupError).channel).toBe('zone1');
    expect((thrown as Error).message).toContain('EBUSY');
    expect(fake.exported()).toEqual([]);
    expect(fake.physical(gpioOf(pins.boiler))).toBe(1);
    expect(fake.physical(gpioOf(pins.pump))).toBe(1);
  });

  it('checks every pin before touching any hardware', () => {
    const fake = new FakeSysfsGpio();
    const config = gpioRelayConfigSchema.parse({ pins: { boiler: 17, pump: 17, zone9: 58 }, activeLow: false });
    let thrown: unknown;
    try {
      GpioRelayBoard.open(config, { chip: pi4, gpio: fake.factory });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GpioConfigError);
    expect((thrown as GpioConfigError).problems).toEqual([
      'pump: BCM pin 17 is already boiler',
      'zone9: BCM pin 58 is not on pinctrl-bcm2711 (lines 0..57)',
    ]);
    expect(fake.events).toEqual([]);
    expect(() =>
      GpioRelayBoard.open(gpioRelayConfigSchema.parse({ pins: { boiler: 5 } }), { chip: pi4, gpio: fake.factory, takenPins: new Set([5]) }),
    ).toThrow(/used by another board/);
    expect(fake.events).toEqual([]);
  });
});

describe('GpioRelayBoard in use', () => {
  it('inverts for an active-low board: energised is a low line', () => {
    const { board, fake } = open(true);
    board.set('boiler', true);
    expect(fake.physical(gpioOf(pins.boiler))).toBe(0);
    expect(fake.physical(gpioOf(pins.pump))).toBe(1);
    expect(board.get('boiler')).toBe(true);
    board.set('boiler', false);
    expect(fake.physical(gpioOf(pins.boiler))).toBe(1);
    expect(fake.driven(gpioOf(pins.boiler))).toEqual([1, 0, 1]);
  });

  it('does not invert for an active-high board', () => {
    const { board, fake } = open(false);
    board.set('zone1', true);
    expect(fake.physical(gpioOf(pins.zone1))).toBe(1);
    expect(board.get('zone1')).toBe(true);
  });

  it('re-asserts an output on every set, so a periodic re-assert reaches the line', () => {
    const { board, fake } = open(true);
    board.set('pump', true);
    board.set('pump', true);
    expect(fake.events.filter((e) => e.kind === 'write' && e.gpio === gpioOf(pins.pump))).toHaveLength(2);
  });

  it('refuses an unknown output without touching any line', () => {
    const { board, fake } = open(true);
    const before = fake.events.length;
    expect(() => board.set('zone7', true)).toThrow(UnknownChannelError);
    expect(() => board.set('zone7', true)).toThrow('unknown output "zone7"; this board has boiler, pump, zone1');
    expect(() => board.get('zone7')).toThrow(UnknownChannelError);
    expect(fake.events.length).toBe(before);
  });

  it('safeState releases every output', () => {
    const { board, fake } = open(true);
    board.set('boiler', true);
    board.set('zone1', true);
    board.safeState();
    for (const [name, bcm] of Object.entries(pins)) {
      expect(fake.physical(gpioOf(bcm))).toBe(1);
      expect(board.get(name)).toBe(false);
    }
  });

  it('close releases every output, then unexports them, and refuses further sets', () => {
    const { board, fake } = open(false);
    board.set('pump', true);
    board.close();
    expect(fake.exported()).toEqual([]);
    expect(fake.physical(gpioOf(pins.pump))).toBe(0);
    const pumpEvents = fake.events.filter((e) => e.gpio === gpioOf(pins.pump)).map((e) => e.kind);
    expect(pumpEvents.slice(-2)).toEqual(['write', 'unexport']);
    expect(() => board.set('pump', true)).toThrow(BoardClosedError);
    expect(() => board.close()).not.toThrow();
  });
});

describe('loadOnoffGpio', () => {
  it('loads onoff only when asked and hands back its constructor as a factory', async () => {
    const factory = await loadOnoffGpio();
    expect(typeof factory).toBe('function');
    expect(factory.length).toBe(4);
  });
});
