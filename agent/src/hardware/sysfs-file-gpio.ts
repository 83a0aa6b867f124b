import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GpioDirection, GpioFactory, GpioLevel, GpioPin } from './gpio-pin.js';

/** A pin's directory did not appear after its number was written to `export`. */
export class GpioExportError extends Error {
  constructor(
    readonly gpio: number,
    readonly directory: string,
  ) {
    super(`gpio${gpio} did not appear under ${directory} after export`);
    this.name = 'GpioExportError';
  }
}

/**
 * sysfs GPIO by plain file reads and writes under any directory, for `GPIO_SYSFS_ROOT` set away
 * from the kernel's /sys/class/gpio (onoff hard-codes that path). It follows onoff's steps
 * (export if absent, active_low, direction, edge for inputs, then value) so a board description
 * dry-run against a fake tree takes the same path the real pins do.
 *
 * Two things a kernel does itself are also written out, so a tree of plain files reads back as a
 * kernel's would: after a 'high'/'low' direction the same level is written to `value` (on a real
 * line that write changes nothing, so no relay clicks), and a direction file reading 'high' or
 * 'low' counts as 'out'.
 */
export function sysfsFileGpio(directory: string): GpioFactory {
  return (gpio, direction, edge, options) => {
    const path = join(directory, `gpio${gpio}`);
    if (!existsSync(path)) {
      writeFileSync(join(directory, 'export'), String(gpio));
      if (!existsSync(path)) throw new GpioExportError(gpio, directory);
    }
    if (typeof options.activeLow === 'boolean') writeFileSync(join(path, 'active_low'), options.activeLow ? '1' : '0');
    writeFileSync(join(path, 'direction'), direction);
    if (direction === 'high' || direction === 'low') writeFileSync(join(path, 'value'), direction === 'high' ? '1' : '0');
    if (direction === 'in' && edge !== 'none') writeFileSync(join(path, 'edge'), edge);
    return filePin(directory, gpio, path);
  };
}

function filePin(directory: string, gpio: number, path: string): GpioPin {
  const read = (name: string) => readFileSync(join(path, name), 'utf8').trim();
  return {
    readSync: (): GpioLevel => (read('value') === '1' ? 1 : 0),
    writeSync: (value) => writeFileSync(join(path, 'value'), value === 1 ? '1' : '0'),
    // Anything but an output's words reads as 'in', so an output that cannot be confirmed is refused.
    direction: (): GpioDirection => (['out', 'high', 'low'].includes(read('direction')) ? 'out' : 'in'),
    activeLow: () => read('active_low') === '1',
    unexport: () => writeFileSync(join(directory, 'unexport'), String(gpio)),
  };
}
