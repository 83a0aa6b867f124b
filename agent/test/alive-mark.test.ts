import { describe, it, expect, afterEach } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AliveMarkFile, systemBootClock } from '../src/alive-mark.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mark = (mono: number) => ({
  run: 'run-1',
  boot_id: 'b0a5e1f2-0000-4000-8000-000000000000',
  boot_mono: 5_000_000 + mono,
  mono,
  wall: 1_768_410_000_000 + mono,
  last_switch: mono - 500,
});

describe('AliveMarkFile', () => {
  it('reads back the newest mark, from a new instance as a restarted process would', () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-alive-'));
    const path = join(dir, 'agent.db.alive');
    expect(new AliveMarkFile(path).read()).toBeNull();
    const writer = new AliveMarkFile(path);
    for (let i = 1; i <= 5; i++) writer.write(mark(i * 1000));
    writer.close();
    expect(new AliveMarkFile(path).read()).toEqual(mark(5000));
    // The next process numbers on, so its first mark is the newest though it lands in the older slot.
    const next = new AliveMarkFile(path);
    next.write({ ...mark(10), run: 'run-2' });
    next.close();
    expect(new AliveMarkFile(path).read()).toEqual({ ...mark(10), run: 'run-2' });
  });

  it('falls back to the other slot when one is torn, and to nothing when both are', () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-alive-'));
    const path = join(dir, 'agent.db.alive');
    const writer = new AliveMarkFile(path);
    writer.write(mark(1000)); // slot 0
    writer.write(mark(2000)); // slot 1
    writer.close();
    const bytes = readFileSync(path);
    const torn = Buffer.from(bytes);
    torn.fill(0x7a, 512 + 20, 512 + 40); // a power cut in the middle of the newer slot
    writeFileSync(path, torn);
    expect(new AliveMarkFile(path).read()).toEqual(mark(1000));
    // A changed digit keeps the JSON valid; the checksum still catches it.
    const flipped = Buffer.from(bytes.toString('latin1').replace('"mono":2000', '"mono":9000'), 'latin1');
    writeFileSync(path, flipped);
    expect(new AliveMarkFile(path).read()).toEqual(mark(1000));
    // Whatever follows the two slots is never read.
    writeFileSync(path, Buffer.concat([bytes, Buffer.alloc(8 << 20, 0x41)]));
    expect(new AliveMarkFile(path).read()).toEqual(mark(2000));
    writeFileSync(path, 'garbage');
    expect(new AliveMarkFile(path).read()).toBeNull();
  });

  it('keeps writing on a filesystem that has filled up, once its two slots exist (a real tmpfs)', (ctx) => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-alive-'));
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir], { stdio: 'pipe' });
    } catch (err) {
      ctx.skip(`cannot mount a tmpfs at ${dir} (needs root, as CI has): ${String(err).slice(0, 200)}`);
    }
    try {
      const path = join(dir, 'agent.db.alive');
      const marks = new AliveMarkFile(path);
      marks.write(mark(1));
      marks.write(mark(2));
      // Fill the rest of the filesystem.
      let full = false;
      for (let i = 0; i < 1000 && !full; i++) {
        try {
          appendFileSync(join(dir, 'filler'), Buffer.alloc(4096));
        } catch (err) {
          full = (err as NodeJS.ErrnoException).code === 'ENOSPC';
          if (!full) throw err;
        }
      }
      expect(full).toBe(true);
      expect(() => writeFileSync(join(dir, 'another'), 'x'.repeat(8192))).toThrow(/ENOSPC/);
      for (let i = 3; i <= 10; i++) marks.write(mark(i * 1000));
      marks.close();
      expect(new AliveMarkFile(path).read()).toEqual(mark(10_000));
    } finally {
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' });
    }
  });

  it('throws on a write it cannot make, for the agent to log (a directory that is gone)', () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-alive-'));
    expect(() => new AliveMarkFile(join(dir, 'missing', 'agent.db.alive')).write(mark(1))).toThrow(/ENOENT/);
  });
});

describe('systemBootClock', () => {
  it("reads this boot's id, and null when the kernel's file is unreadable", () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-alive-'));
    expect(systemBootClock().bootId()).toBe(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    expect(systemBootClock(join(dir, 'none')).bootId()).toBeNull();
    writeFileSync(join(dir, 'bad'), 'not a boot id\n');
    expect(systemBootClock(join(dir, 'bad')).bootId()).toBeNull();
  });

  it("is the machine's clock, not the process's: another process reads the same timeline", () => {
    dir = mkdtempSync(join(tmpdir(), 'boiler-alive-'));
    const clock = systemBootClock();
    const before = clock.monotonic();
    const child = Number(execFileSync(process.execPath, ['-e', 'process.stdout.write(String(Number(process.hrtime.bigint()) / 1e6))'], { encoding: 'utf8' }));
    const after = clock.monotonic();
    // performance.now() in the child would be a few tens of ms; CLOCK_MONOTONIC lies between our two reads.
    expect(child).toBeGreaterThanOrEqual(before);
    expect(child).toBeLessThanOrEqual(after);
  });
});
