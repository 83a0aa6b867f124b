import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Dallas/Maxim CRC-8 (x^8 + x^5 + x^4 + 1, reflected), as the DS18B20 and the kernel compute it. */
export function crc8(bytes: readonly number[]): number {
  let crc = 0;
  for (let byte of bytes) {
    for (let bit = 0; bit < 8; bit++) {
      const mix = (crc ^ byte) & 1;
      crc >>= 1;
      if (mix) crc ^= 0x8c;
      byte >>= 1;
    }
  }
  return crc;
}

/**
 * The nine scratchpad bytes a DS18B20 at 12-bit resolution returns for a temperature: raw
 * value (1/16 °C, little endian), TH/TL 4b 46, config 7f, ff, 10 - (raw & 0xf), 10, CRC.
 */
export function scratchpad(celsius: number): number[] {
  const raw = Math.round(celsius * 16) & 0xffff;
  const bytes = [raw & 0xff, raw >> 8, 0x4b, 0x46, 0x7f, 0xff, 0x10 - (raw & 0x0f), 0x10];
  return [...bytes, crc8(bytes)];
}

/** What a DS18B20 holds right after power-on, before any conversion: 85 °C. */
export const POWER_ON_SCRATCHPAD = [0x50, 0x05, 0x4b, 0x46, 0x7f, 0xff, 0x0c, 0x10, 0x1c];

const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

/** The kernel's millidegrees for a DS18B20 scratchpad: raw * 1000 / 16, truncated as C does. */
function millidegrees(bytes: readonly number[]): number {
  const raw = (((bytes[1] ?? 0) << 8) | (bytes[0] ?? 0)) << 16 >> 16;
  return Math.trunc((raw * 1000) / 16);
}

/**
 * The two lines w1_therm writes to w1_slave: the bytes read, the CRC the kernel computed over
 * the first eight and its verdict; then the bytes again and t= in millidegrees.
 */
export function w1SlaveText(bytes: readonly number[], t = millidegrees(bytes)): string {
  const computed = crc8(bytes.slice(0, 8));
  const verdict = computed === bytes[8] ? 'YES' : 'NO';
  return `${hex(bytes)} : crc=${computed.toString(16).padStart(2, '0')} ${verdict}\n${hex(bytes)} t=${t}\n`;
}

/** A fake /sys/bus/w1/devices in a temp dir: `<dir>/<id>/w1_slave` for each sensor. */
export class FakeW1Tree {
  private constructor(readonly dir: string) {}

  static create(): FakeW1Tree {
    return new FakeW1Tree(mkdtempSync(join(tmpdir(), 'w1-devices-')));
  }

  /** A good reading. */
  reading(id: string, celsius: number): void {
    this.raw(id, w1SlaveText(scratchpad(celsius)));
  }

  /** A read whose bytes were corrupted on the wire: the kernel says crc=.. NO. */
  crcFailure(id: string, celsius: number): void {
    const bytes = scratchpad(celsius);
    bytes[0] = (bytes[0] ?? 0) ^ 0x04;
    this.raw(id, w1SlaveText(bytes));
  }

  /** The sensor reset (a brownout) and was read before it converted: a good CRC and t=85000. */
  powerOn(id: string): void {
    this.raw(id, w1SlaveText(POWER_ON_SCRATCHPAD));
  }

  /** Nobody answered: the line floats high, all ones, crc=c9 NO, t=-62. */
  allOnes(id: string): void {
    this.raw(id, w1SlaveText(Array(9).fill(0xff)));
  }

  /** The data line held low: all zeros, which passes the CRC (crc=00 YES) with t=0. */
  allZeros(id: string): void {
    this.raw(id, w1SlaveText(Array(9).fill(0)));
  }

  /** The kernel's answer when the convert command fails: an empty read. */
  empty(id: string): void {
    this.raw(id, '');
  }

  /** Any text, for what the helpers above do not cover. */
  raw(id: string, text: string): void {
    mkdirSync(join(this.dir, id), { recursive: true });
    writeFileSync(join(this.dir, id, 'w1_slave'), text);
  }

  /** The device directory stays but w1_slave goes (w1_therm not bound). */
  removeFile(id: string): void {
    rmSync(join(this.dir, id, 'w1_slave'), { force: true });
  }

  /** The sensor leaves the bus. */
  removeDevice(id: string): void {
    rmSync(join(this.dir, id), { recursive: true, force: true });
  }

  /**
   * A w1_slave that blocks whoever reads it until `answer` is called: a named pipe, the way a
   * hung 1-wire bus blocks a read in the kernel.
   */
  hung(id: string): { answer(text: string): boolean } {
    mkdirSync(join(this.dir, id), { recursive: true });
    const path = join(this.dir, id, 'w1_slave');
    execFileSync('mkfifo', [path]);
    return {
      // Non-blocking open: succeeds only if a reader is waiting, so the test can never hang here.
      answer: (text) => {
        let fd: number;
        try {
          fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
        } catch {
          return false;
        }
        writeSync(fd, text);
        closeSync(fd);
        return true;
      },
    };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}
