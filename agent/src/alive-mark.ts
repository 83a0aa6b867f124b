import { closeSync, constants, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AliveMark } from './control/index.js';

/** The machine's own timeline: which boot this is, and the monotonic clock every process of it shares. */
export interface BootClock {
  /** The kernel's id of this boot; null when it cannot be read (then no downtime is ever trusted). */
  bootId(): string | null;
  /** ms on CLOCK_MONOTONIC: system-wide on Linux and never stepped, unlike the wall clock. */
  monotonic(): number;
}

const BootId = z.string().regex(/^[0-9a-f-]{16,64}$/);

/** The real boot clock: /proc's boot id and process.hrtime (CLOCK_MONOTONIC; performance.now() is per process). */
export function systemBootClock(bootIdFile = '/proc/sys/kernel/random/boot_id'): BootClock {
  let id: string | null | undefined;
  return {
    bootId() {
      if (id === undefined) {
        try {
          const parsed = BootId.safeParse(readFileSync(bootIdFile, 'utf8').trim());
          id = parsed.success ? parsed.data : null;
        } catch {
          id = null;
        }
      }
      return id;
    },
    monotonic: () => Number(process.hrtime.bigint()) / 1e6,
  };
}

/** Where the agent leaves its sign of life between saves of its state. */
export interface AliveMarks {
  /** The newest intact mark, or null; never throws. */
  read(): AliveMark | null;
  /** Throws when the write fails; the caller logs it and carries on controlling. */
  write(mark: AliveMark): void;
  close(): void;
}

/** In memory, for tests of one process's life. */
export class MemoryAliveMarks implements AliveMarks {
  mark: AliveMark | null = null;
  writes = 0;

  read(): AliveMark | null {
    return this.mark;
  }

  write(mark: AliveMark): void {
    this.mark = mark;
    this.writes++;
  }

  close(): void {}
}

const SLOT_BYTES = 512;
const Slot = z.strictObject({ n: z.number().int().min(0), mark: AliveMark, sum: z.string() });

function checksum(n: number, mark: AliveMark): string {
  return createHash('sha256').update(`${n}:${JSON.stringify(mark)}`).digest('hex').slice(0, 16);
}

/**
 * A small file next to the database with two fixed-size slots, written in turn in place: no
 * rename and no new block, so it keeps working on a full disk once created, and a write torn by
 * a power cut spoils only one slot, whose checksum then fails and the other one is read. Not
 * fsynced: a process that dies leaves its writes in the page cache, and after a power cut (a
 * reboot) the downtime is unknown anyway.
 */
export class AliveMarkFile implements AliveMarks {
  private fd: number | null = null;
  private n = 0;

  constructor(private readonly path: string) {}

  read(): AliveMark | null {
    // Only the two slots are read, whatever else the file has grown to hold.
    const bytes = Buffer.alloc(2 * SLOT_BYTES);
    let length: number;
    let fd: number | null = null;
    try {
      fd = openSync(this.path, 'r');
      length = readSync(fd, bytes, 0, bytes.length, 0);
    } catch {
      return null;
    } finally {
      if (fd !== null) closeSync(fd);
    }
    let best: { n: number; mark: AliveMark } | null = null;
    for (let offset = 0; offset + SLOT_BYTES <= length; offset += SLOT_BYTES) {
      const slot = parseSlot(bytes.subarray(offset, offset + SLOT_BYTES));
      if (slot !== null && (best === null || slot.n > best.n)) best = slot;
    }
    if (best !== null) this.n = best.n + 1;
    return best?.mark ?? null;
  }

  write(mark: AliveMark): void {
    if (this.fd === null) {
      // Number on from the marks already there, so the newest slot is always the highest number.
      this.read();
      this.fd = openSync(this.path, constants.O_RDWR | constants.O_CREAT, 0o644);
    }
    const text = JSON.stringify({ n: this.n, mark, sum: checksum(this.n, mark) });
    const buf = Buffer.alloc(SLOT_BYTES, 0x20);
    if (buf.write(text, 'utf8') < Buffer.byteLength(text)) throw new RangeError(`alive mark over ${SLOT_BYTES} bytes`);
    writeSync(this.fd, buf, 0, SLOT_BYTES, (this.n % 2) * SLOT_BYTES);
    this.n++;
  }

  close(): void {
    if (this.fd === null) return;
    try {
      closeSync(this.fd);
    } catch {
      // Closing at shutdown; nothing left to do about it.
    }
    this.fd = null;
  }
}

function parseSlot(bytes: Buffer): { n: number; mark: AliveMark } | null {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8').trimEnd());
  } catch {
    return null;
  }
  const slot = Slot.safeParse(value);
  if (!slot.success || slot.data.sum !== checksum(slot.data.n, slot.data.mark)) return null;
  return slot.data;
}
