import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findPinController, GpioChipNotFoundError, listGpioChips } from '../../src/hardware/gpio-chip.js';
import { GPIO_LAYOUTS, writeSysfsGpioTree, type FakeGpioChip } from '../../../test/fakes/sysfs-gpio.js';

const trees: Array<{ remove(): void }> = [];
function tree(chips: readonly FakeGpioChip[]): string {
  const t = writeSysfsGpioTree(chips);
  trees.push(t);
  return t.root;
}
afterEach(() => {
  for (const t of trees.splice(0)) t.remove();
});

describe('findPinController', () => {
  it('finds the Pi 4 pin controller at 512 on Bookworm, not the firmware expander after it', () => {
    const chip = findPinController({ root: tree(GPIO_LAYOUTS.pi4Bookworm) });
    expect(chip).toMatchObject({ base: 512, ngpio: 58, label: 'pinctrl-bcm2711' });
    expect(chip.path).toMatch(/gpiochip512$/);
  });

  it('finds RP1 at 571 on a Pi 5, past the SoC gpio-brcmstb banks that start at 512', () => {
    expect(findPinController({ root: tree(GPIO_LAYOUTS.pi5Bookworm) })).toMatchObject({ base: 571, ngpio: 54, label: 'pinctrl-rp1' });
  });

  it('finds the pin controller at 0 on the legacy layout', () => {
    expect(findPinController({ root: tree(GPIO_LAYOUTS.pi3Legacy) })).toMatchObject({ base: 0, label: 'pinctrl-bcm2835' });
    expect(findPinController({ root: tree(GPIO_LAYOUTS.pi4Legacy) })).toMatchObject({ base: 0, label: 'pinctrl-bcm2711' });
  });

  it('does not depend on the order the kernel lists chips in', () => {
    const reversed = [...GPIO_LAYOUTS.pi5Bookworm].reverse();
    expect(findPinController({ root: tree(reversed) }).base).toBe(571);
  });

  it('refuses a chip with a known label but too few lines for the header', () => {
    const root = tree([{ base: 600, ngpio: 8, label: 'pinctrl-rp1' }, ...GPIO_LAYOUTS.pi4Bookworm]);
    expect(findPinController({ root }).base).toBe(512);
  });

  it('falls back to the one unknown pinctrl-* chip wide enough for the header', () => {
    const root = tree([{ base: 512, ngpio: 54, label: 'pinctrl-bcm2712-next' }, ...GPIO_LAYOUTS.expandersOnly]);
    expect(findPinController({ root })).toMatchObject({ base: 512, label: 'pinctrl-bcm2712-next' });
  });

  it('will not guess between two unknown pin controllers', () => {
    const root = tree([
      { base: 512, ngpio: 54, label: 'pinctrl-a' },
      { base: 600, ngpio: 54, label: 'pinctrl-b' },
    ]);
    expect(() => findPinController({ root })).toThrow(/several unknown pin controllers/);
    // Naming the right label settles it.
    expect(findPinController({ root, labels: ['pinctrl-b'] }).base).toBe(600);
  });

  it('throws a typed error naming what it saw when no chip is the pin controller', () => {
    const root = tree(GPIO_LAYOUTS.expandersOnly);
    let thrown: unknown;
    try {
      findPinController({ root });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(GpioChipNotFoundError);
    const err = thrown as GpioChipNotFoundError;
    expect(err.chips.map((c) => c.label)).toEqual(['brcmvirt-gpio', 'raspberrypi-exp-gpio']);
    expect(err.message).toContain('raspberrypi-exp-gpio (base 504, 8 lines)');
  });

  it('throws the typed error when there is no sysfs GPIO at all', () => {
    const root = mkdtempSync(join(tmpdir(), 'no-gpio-'));
    trees.push({ remove: () => rmSync(root, { recursive: true, force: true }) });
    expect(() => findPinController({ root })).toThrow(GpioChipNotFoundError);
    expect(() => findPinController({ root })).toThrow(/cannot list it/);
  });
});

describe('listGpioChips', () => {
  it('reads base, ngpio and label of every chip, lowest base first', () => {
    const chips = listGpioChips(tree(GPIO_LAYOUTS.pi5Bookworm));
    expect(chips.map((c) => [c.base, c.ngpio, c.label])).toEqual(GPIO_LAYOUTS.pi5Bookworm.map((c) => [c.base, c.ngpio, c.label]));
  });
});
