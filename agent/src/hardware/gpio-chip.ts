import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One GPIO controller as the kernel lists it under /sys/class/gpio. */
export interface GpioChip {
  /** sysfs number of the chip's line 0; BCM pin n is sysfs GPIO base + n. */
  base: number;
  ngpio: number;
  label: string;
  /** The gpiochipN directory it was read from. */
  path: string;
}

/**
 * Labels of the chip that drives the 40-pin header, best first. The Pi 5's header hangs off
 * RP1; its SoC's own gpio-brcmstb chips (base 512..570) must never be chosen over it.
 */
export const PIN_CONTROLLER_LABELS: readonly string[] = [
  'pinctrl-rp1', // Pi 5, CM5: base 571 on Bookworm 6.6+ (53, then 399 on the first 6.1 kernels)
  'pinctrl-bcm2711', // Pi 4, Pi 400, CM4: base 512 on Bookworm 6.6+, 0 before
  'pinctrl-bcm2835', // Pi 1-3, Zero: base 512 on Bookworm 6.6+, 0 before; older kernels name the Pi 4's chip so too
];

/** Where the kernel lists GPIO chips and takes exports. */
export const DEFAULT_GPIO_SYSFS_ROOT = '/sys/class/gpio';

/** The 40-pin header exposes BCM 0..27; a chip with fewer lines is an expander, not the pin controller. */
const HEADER_LINES = 28;

export interface FindGpioChipOptions {
  /** Filesystem root holding sys/class/gpio; tests point it at a fake tree. Default '/'. */
  root?: string;
  /** The GPIO class directory itself (GPIO_SYSFS_ROOT); overrides `root`. */
  directory?: string;
  /** Labels to accept, best first; default PIN_CONTROLLER_LABELS. */
  labels?: readonly string[];
}

/** No GPIO chip on this machine can be the Raspberry Pi's pin controller. */
export class GpioChipNotFoundError extends Error {
  constructor(
    readonly directory: string,
    readonly chips: readonly GpioChip[],
    reason: string,
  ) {
    const seen = chips.length === 0 ? 'no chips' : chips.map((c) => `${c.label} (base ${c.base}, ${c.ngpio} lines)`).join(', ');
    super(`no Raspberry Pi GPIO pin controller under ${directory}: ${reason}; found ${seen}`);
    this.name = 'GpioChipNotFoundError';
  }
}

/** Lists the GPIO chips under <root>/sys/class/gpio (or `directory`); chips whose files cannot be read are skipped. */
export function listGpioChips(root = '/', directory = join(root, 'sys', 'class', 'gpio')): GpioChip[] {
  let names: string[];
  try {
    names = readdirSync(directory).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (err) {
    throw new GpioChipNotFoundError(directory, [], `cannot list it (${(err as Error).message}); is this a Raspberry Pi with sysfs GPIO?`);
  }
  const chips: GpioChip[] = [];
  for (const name of names) {
    const path = join(directory, name);
    try {
      const base = Number(readFileSync(join(path, 'base'), 'utf8').trim());
      const ngpio = Number(readFileSync(join(path, 'ngpio'), 'utf8').trim());
      const label = readFileSync(join(path, 'label'), 'utf8').trim();
      if (Number.isInteger(base) && base >= 0 && Number.isInteger(ngpio) && ngpio > 0) chips.push({ base, ngpio, label, path });
    } catch {
      // A chip being torn down (or a stray entry) tells us nothing about the pin controller.
    }
  }
  return chips.sort((a, b) => a.base - b.base);
}

/**
 * Finds the chip that drives the Raspberry Pi's header, so BCM pin n is sysfs GPIO base + n.
 * A known label wins; failing that, the only pinctrl-* chip wide enough for the header.
 * Throws GpioChipNotFoundError rather than guess between candidates.
 */
export function findPinController(options: FindGpioChipOptions = {}): GpioChip {
  const root = options.root ?? '/';
  const labels = options.labels ?? PIN_CONTROLLER_LABELS;
  const directory = options.directory ?? join(root, 'sys', 'class', 'gpio');
  const chips = listGpioChips(root, directory);
  for (const label of labels) {
    const match = chips.find((c) => c.label === label && c.ngpio >= HEADER_LINES);
    if (match) return match;
  }
  const candidates = chips.filter((c) => c.label.startsWith('pinctrl-') && c.ngpio >= HEADER_LINES);
  const only = candidates[0];
  if (only && candidates.length === 1) return only;
  throw new GpioChipNotFoundError(
    directory,
    chips,
    candidates.length === 0
      ? `none is labelled ${labels.join(' or ')}, nor any other pinctrl-* chip with ${HEADER_LINES}+ lines`
      : `several unknown pin controllers could be it (${candidates.map((c) => c.label).join(', ')}); name the right one in labels`,
  );
}
