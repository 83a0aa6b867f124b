import { describe, expect, it } from 'vitest';
import { sourceRange, sourceSamplesUpTo } from './fixtures/source-log.js';
import { useTempFiles } from './temp-replica.js';

const files = useTempFiles();

const count = (table: string): number => (files.raw().prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;

describe('Replica.resetLog (the replica was ahead of the authenticated agent)', () => {
  it('forgets every event, sample and rollup and the applied seq, durably; the same log applied again gives the same rows', () => {
    const replica = files.openReplica();
    replica.applyEvents(sourceRange(1, 400));
    // What a lying peer used to leave: an applied seq far beyond anything the agent wrote.
    replica.advanceTo(Number.MAX_SAFE_INTEGER);
    expect(count('samples')).toBe(sourceSamplesUpTo(400));
    const rollupsBefore = files.raw().prepare('SELECT * FROM samples_1h ORDER BY zone, bucket').all();

    replica.resetLog();
    expect(replica.appliedSeq()).toBe(0);
    for (const table of ['events', 'samples', 'samples_15m', 'samples_1h', 'samples_1d']) expect(count(table), table).toBe(0);
    expect(files.openReplica().appliedSeq()).toBe(0); // durable: a second handle reads it back

    // The agent's log taken again: nothing counted twice in the rollups.
    replica.applyEvents(sourceRange(1, 400));
    expect(replica.appliedSeq()).toBe(400);
    expect(count('events')).toBe(400);
    expect(files.raw().prepare('SELECT * FROM samples_1h ORDER BY zone, bucket').all()).toEqual(rollupsBefore);
  });
});
