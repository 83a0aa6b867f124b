import { describe, expect, it } from 'vitest';
import type { GpioChip } from '../../src/hardware/gpio-chip.js';
import { GpioDigitalInputs, gpioInputConfigSchema } from '../../src/hardware/gpio-inputs.js';
import { BoardClosedError, GpioSetupError, UnknownChannelError } from '../../src/hardware/gpio-pin.js';
import type { Clock } from '../../src/hardware/types.js';
import { FakeSysfsGpio } from '../../../test/fakes/sysfs-gpio-pins.js';

const pi5: GpioChip = { base: 571, ngpio: 54, label: 'pinctrl-rp1', path: '/sys/class/gpio/gpiochip571' };
const pins = { zone1: 5, burner: 6 };
const gpioOf = (bcm: number): number => pi5.base + bcm;

function manualClock(): Clock & { advance(ms: number): void } {
  let mono = 0;
  return { now: () => 1_700_000_000_000 + mono, monotonic: () => mono, advance: (ms) => (mono += ms) };
}

function open(config: { activeLow?: boolean; debounceMs?: number }, preset: Partial<Record<keyof typeof pins, 0 | 1>> = {}) {
  const fake = new FakeSysfsGpio();
  for (const [name, bcm] of Object.entries(pins)) {
    fake.preset(gpioOf(bcm), { direction: 'in', physical: preset[name as keyof typeof pins] ?? 0, exported: false });
  }
  const clock = manualClock();
  const inputs = GpioDigitalInputs.open(gpioInputConfigSchema.parse({ pins, ...config }), { chip: pi5, gpio: fake.factory, clock });
  return { inputs, fake, clock };
}

describe('GpioDigitalInputs', () => {
  it('exports each input on the chip base + BCM pin as an input, active_low forced off', () => {
    const { inputs, fake } = open({});
    expect(inputs.inputs()).toEqual(['zone1', 'burner']);
    expect(fake.events.filter((e) => e.kind === 'export')).toEqual([
      { kind: 'export', gpio: 576, direction: 'in', edge: 'none', options: { activeLow: false, reconfigureDirection: true } },
      { kind: 'export', gpio: 577, direction: 'in', edge: 'none', options: { activeLow: false, reconfigureDirection: true } },
    ]);
  });

  it('reads an active-high input as active when the line is high', () => {
    const { inputs, fake } = open({ activeLow: false });
    expect(inputs.read('zone1')).toBe(false);
    fake.drive(gpioOf(pins.zone1), 1);
    expect(inputs.read('zone1')).toBe(true);
    expect(inputs.read('burner')).toBe(false);
  });

  it('reads an active-low input as active when the opto-isolator pulls the line low', () => {
    const { inputs, fake } = open({ activeLow: true }, { zone1: 1, burner: 1 });
    expect(inputs.read('zone1')).toBe(false);
    fake.drive(gpioOf(pins.zone1), 0);
    expect(inputs.read('zone1')).toBe(true);
    expect(inputs.read('burner')).toBe(false);
  });

  it('debounces: a new level counts only once reads have seen it for debounceMs', () => {
    const { inputs, fake, clock } = open({ debounceMs: 200 });
    const zone1 = gpioOf(pins.zone1);
    fake.drive(zone1, 1);
    expect(inputs.read('zone1')).toBe(false); // first sight of the change
    clock.advance(150);
    expect(inputs.read('zone1')).toBe(false);
    clock.advance(50);
    expect(inputs.read('zone1')).toBe(true); // 200 ms of the new level
  });

  it('debounces: a bounce back to the old level restarts the wait', () => {
    const { inputs, fake, clock } = open({ debounceMs: 200 });
    const zone1 = gpioOf(pins.zone1);
    fake.drive(zone1, 1);
    expect(inputs.read('zone1')).toBe(false);
    clock.advance(150);
    fake.drive(zone1, 0);
    expect(inputs.read('zone1')).toBe(false); // bounced back: the pending change is dropped
    clock.advance(10);
    fake.drive(zone1, 1);
    expect(inputs.read('zone1')).toBe(false); // seen afresh: the wait starts here, not 160 ms ago
    clock.advance(199);
    expect(inputs.read('zone1')).toBe(false);
    clock.advance(1);
    expect(inputs.read('zone1')).toBe(true);
  });

  it('starts from the level on the line at open, so the debounce does not hide a call already there', () => {
    const { inputs } = open({ debounceMs: 1_000 }, { burner: 1 });
    expect(inputs.read('burner')).toBe(true);
  });

  it('refuses an unknown input, and reads after close', () => {
    const { inputs, fake } = open({});
    expect(() => inputs.read('zone9')).toThrow(UnknownChannelError);
    inputs.close();
    expect(fake.exported()).toEqual([]);
    expect(() => inputs.read('zone1')).toThrow(BoardClosedError);
  });

  it('unexports the inputs it set up when a later one cannot be exported', () => {
    const fake = new FakeSysfsGpio();
    fake.failExport(gpioOf(pins.burner));
    expect(() =>
      GpioDigitalInputs.open(gpioInputConfigSchema.parse({ pins }), { chip: pi5, gpio: fake.factory, clock: manualClock() }),
    ).toThrow(GpioSetupError);
    expect(fake.exported()).toEqual([]);
  });
});
