import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** One gpiochipN entry as the kernel shows it under /sys/class/gpio. */
export interface FakeGpioChip {
  base: number;
  ngpio: number;
  label: string;
}

/** What `ls /sys/class/gpio; cat gpiochip*\/{base,ngpio,label}` shows on real machines. */
export const GPIO_LAYOUTS = {
  /** Pi 4 on Bookworm, kernel 6.6+: the dynamic GPIO numbers start at 512. */
  pi4Bookworm: [
    { base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
  /** Pi 5 on Bookworm, kernel 6.6+: four SoC gpio-brcmstb banks come first, then RP1 drives the header. */
  pi5Bookworm: [
    { base: 512, ngpio: 32, label: 'gpio-brcmstb@107d508500' },
    { base: 544, ngpio: 4, label: 'gpio-brcmstb@107d508520' },
    { base: 548, ngpio: 17, label: 'gpio-brcmstb@107d517c00' },
    { base: 565, ngpio: 6, label: 'gpio-brcmstb@107d517c20' },
    { base: 571, ngpio: 54, label: 'pinctrl-rp1' },
  ],
  /** Pi 3 on Bullseye (kernel 6.1 and before): the pin controller at 0. */
  pi3Legacy: [
    { base: 0, ngpio: 54, label: 'pinctrl-bcm2835' },
    { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
    { base: 496, ngpio: 2, label: 'brcmvirt-gpio' },
  ],
  /** Pi 4 on Bullseye. */
  pi4Legacy: [
    { base: 0, ngpio: 58, label: 'pinctrl-bcm2711' },
    { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
  ],
  /** A machine with GPIO but no Raspberry Pi pin controller (only expanders). */
  expandersOnly: [
    { base: 504, ngpio: 8, label: 'raspberrypi-exp-gpio' },
    { base: 496, ngpio: 2, label: 'brcmvirt-gpio' },
  ],
} satisfies Record<string, readonly FakeGpioChip[]>;

/**
 * Writes `<root>/sys/class/gpio/gpiochip<base>/{base,ngpio,label}` plus the export files, in a
 * fresh temp dir. Chips are named by base, as the kernel names them. With `lines`, every line of
 * every chip also gets its `gpio<N>/{direction,value,active_low,edge}` as an exported input, since
 * plain files cannot make a directory appear on export the way the kernel does.
 */
export function writeSysfsGpioTree(chips: readonly FakeGpioChip[], options: { lines?: boolean } = {}): { root: string; remove(): void } {
  const root = mkdtempSync(join(tmpdir(), 'sysfs-gpio-'));
  const gpio = join(root, 'sys', 'class', 'gpio');
  mkdirSync(gpio, { recursive: true });
  writeFileSync(join(gpio, 'export'), '');
  writeFileSync(join(gpio, 'unexport'), '');
  for (const chip of chips) {
    const dir = join(gpio, `gpiochip${chip.base}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'base'), `${chip.base}\n`);
    writeFileSync(join(dir, 'ngpio'), `${chip.ngpio}\n`);
    writeFileSync(join(dir, 'label'), `${chip.label}\n`);
    for (let n = chip.base; options.lines === true && n < chip.base + chip.ngpio; n++) {
      const line = join(gpio, `gpio${n}`);
      mkdirSync(line);
      writeFileSync(join(line, 'direction'), 'in\n');
      writeFileSync(join(line, 'value'), '0\n');
      writeFileSync(join(line, 'active_low'), '0\n');
      writeFileSync(join(line, 'edge'), 'none\n');
    }
  }
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}
