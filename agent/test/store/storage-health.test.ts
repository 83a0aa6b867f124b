import { describe, expect, it } from 'vitest';
import { createLogger } from '@boiler/service';
import { StorageHealth } from '../../src/store/index.js';

function tracker(lines: Record<string, unknown>[]) {
  const log = createLogger({ name: 'test', level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return new StorageHealth(log, { minBackoffMs: 1000, maxBackoffMs: 8000 });
}

const full = Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });

describe('StorageHealth', () => {
  it('tries again only after a backoff that doubles up to its cap, and logs the episode once', () => {
    const lines: Record<string, unknown>[] = [];
    const h = tracker(lines);
    let tries = 0;
    const failing = () => {
      tries++;
      throw full;
    };
    const at = (mono: number) => ({ wall: 1_000_000 + mono, mono });
    expect(h.attempt('w', at(0), failing)).toEqual({ ok: false, skipped: false });
    expect(h.fault()).toMatchObject({ code: 'SQLITE_FULL', failures: 1, since: 1_000_000, what: 'w' });
    // Backoffs 1 s, 2 s, 4 s, 8 s, 8 s: attempts at 0, 1000, 3000, 7000, 15000, 23000.
    const triedAt: number[] = [0];
    for (let mono = 100; mono <= 25_000; mono += 100) {
      const before = tries;
      const r = h.attempt('w', at(mono), failing);
      if (tries > before) triedAt.push(mono);
      else expect(r).toEqual({ ok: false, skipped: true });
    }
    expect(triedAt).toEqual([0, 1000, 3000, 7000, 15_000, 23_000]);
    expect(h.fault()?.failures).toBe(6);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(1);
    expect(lines[0]).toMatchObject({ code: 'SQLITE_FULL', what: 'w' });
    expect(JSON.stringify(lines[0])).not.toMatch(/at .*\.ts:\d+/); // no stack trace

    // force tries at once (a command); a success ends the episode and says which.
    const ended = h.attempt('command', at(23_100), () => 42, true);
    expect(ended).toMatchObject({ ok: true, value: 42, recovered: { code: 'SQLITE_FULL', failures: 6 } });
    expect(h.fault()).toBeNull();
    expect(h.due(23_100)).toBe(true);
    // A new failure starts a new episode with the shortest backoff again.
    h.attempt('w', at(30_000), failing);
    expect(h.fault()).toMatchObject({ failures: 1 });
    expect(h.due(30_999)).toBe(false);
    expect(h.due(31_000)).toBe(true);
    expect(lines.filter((l) => l.level === 50)).toHaveLength(2);
  });
});
