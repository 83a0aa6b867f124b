import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventEntry } from '@boiler/shared';
import { sourceEvent, sourceSamplesUpTo } from './fixtures/source-log.js';
import { useTempFiles } from './temp-replica.js';

const files = useTempFiles();

const APPLY_FOREVER = join(import.meta.dirname, 'fixtures', 'apply-forever.ts');

/**
 * Runs the applying child on `path` until it reports `lines` committed batches, then kills it
 * with SIGKILL while it is inside the next batch's transaction (it starts the next one at once,
 * and a batch of 2,000 events takes milliseconds). Returns the seq it started from and the
 * last seq it said was committed.
 */
async function applyThenKill(path: string, lines: number): Promise<{ started: number; lastReported: number; signal: string | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', APPLY_FOREVER, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  let started = -1;
  let lastReported = -1;
  let seen = 0;
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, value] = line.split(' ');
      if (word === 'start') started = Number(value);
      if (word !== 'applied') return;
      lastReported = Number(value);
      if (++seen === lines) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`child exited before it was killed:\n${stderr}`)));
  });
  return { started, lastReported, signal: await exited };
}

describe('a relay killed while applying', () => {
  it('reopens with every seq up to the applied one exactly once, the samples matching, the file sound', async () => {
    const path = files.path();
    let previous = 0;
    for (const lines of [3, 7, 12]) {
      const { started, lastReported, signal } = await applyThenKill(path, lines);
      expect(signal).toBe('SIGKILL');
      // It resumed where the last killed run had got to, not before and not after.
      expect(started).toBe(previous);

      const replica = files.openReplica();
      const applied = replica.appliedSeq();
      // At least what it reported committed, at most the batch it was killed in.
      expect(applied).toBeGreaterThanOrEqual(lastReported);
      expect(applied).toBeLessThanOrEqual(lastReported + 2000);
      expect(replica.integrityCheck()).toEqual([]);

      const raw = files.raw();
      expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(raw.prepare('SELECT count(*) AS n, min(seq) AS lo, max(seq) AS hi FROM events').get()).toEqual({ n: applied, lo: 1, hi: applied });
      let seq = 0;
      for (const row of raw.prepare('SELECT * FROM events ORDER BY seq').iterate() as IterableIterator<EventEntry>) {
        seq += 1;
        if (row.seq !== seq || JSON.stringify(row) !== JSON.stringify(sourceEvent(seq))) expect(row).toEqual(sourceEvent(seq));
      }
      expect(seq).toBe(applied);
      const samples = sourceSamplesUpTo(applied);
      expect(raw.prepare('SELECT count(*) AS n FROM samples').get()).toEqual({ n: samples });
      for (const t of ['samples_15m', 'samples_1h', 'samples_1d']) {
        expect(raw.prepare(`SELECT sum(n) AS n FROM ${t}`).get(), t).toEqual({ n: samples });
      }
      replica.close();
      raw.close();
      previous = applied;
    }
  }, 120_000);
});
