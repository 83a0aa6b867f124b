import { describe, expect, it } from 'vitest';
import { createLogger } from '@boiler/service';
import type { Sample } from '../../../agent/src/store/index.js';
import { ReplicaRetention } from '../../src/replica/index.js';
import { useTempFiles } from './temp-replica.js';

const files = useTempFiles();

const T0 = Date.UTC(2025, 0, 6);
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const ZONES = ['Z1', 'Z2', 'Z3'];

/**
 * Four days of a sample every two minutes in three zones and an OFF event every two hours, written
 * by the agent's own store and applied to a replica as the link would apply them.
 */
function fourDays() {
  const agent = files.openAgentStore();
  for (let d = 0; d < 4; d++) {
    agent.transaction(() => {
      for (let m = 0; m < 1440; m += 2) {
        const ts = T0 + d * DAY + m * MINUTE;
        agent.recordSamples(ZONES.map((zone): Sample => ({ zone, ts, room_c: 18 + (m % 30) / 10, pipe_c: null, outdoor_c: -8, output: m % 10 < 4 })));
        if (m % 120 === 0) agent.appendEvents([{ ts, source: 'control', zone: 'Z2', event: 'OFF', room_c: null, pipe_c: null, outdoor_c: null, duration_s: 60, detail: null }]);
      }
    });
  }
  const replica = files.openReplica();
  for (let after = 0; after < agent.lastSeq(); ) {
    const page = agent.eventsAfter(after, 2000);
    replica.applyEvents(page);
    after = page.at(-1)!.seq;
  }
  return { agent, replica };
}

describe('replica retention', () => {
  it('prunes raw samples and SAMPLE events past the window in batches, keeping rollups, other events and the applied seq', async () => {
    const { agent, replica } = fourDays();
    const applied = replica.appliedSeq();
    expect(applied).toBe(agent.lastSeq());
    const oldHistory = replica.history('Z1', T0, T0 + 2 * DAY, 48);

    const retention = new ReplicaRetention(replica, createLogger({ name: 'test', level: 'silent' }), {
      retentionMs: 2 * DAY,
      batchRows: 500,
      now: () => T0 + 4 * DAY,
    });
    const removed = await retention.pass();
    expect(removed).toEqual({ samples: 2 * 720 * ZONES.length, events: 2 * 720 * ZONES.length, detailEvents: 0, rollups: 0 });

    const raw = files.raw();
    expect(raw.prepare('SELECT count(*) FROM samples WHERE ts < ?').pluck().get(T0 + 2 * DAY)).toBe(0);
    expect(raw.prepare('SELECT count(*) FROM samples').pluck().get()).toBe(2 * 720 * ZONES.length);
    expect(raw.prepare(`SELECT count(*) FROM events WHERE event = 'SAMPLE' AND ts < ?`).pluck().get(T0 + 2 * DAY)).toBe(0);
    expect(replica.queryEvents({ event: 'OFF', limit: 1000 })).toHaveLength(4 * 12);
    // The pruned days answer from the rollups as before; the replica's place in the log is unchanged.
    expect(replica.history('Z1', T0, T0 + 2 * DAY, 48)).toEqual(oldHistory);
    expect(replica.appliedSeq()).toBe(applied);
    expect(replica.integrityCheck()).toEqual([]);
    // A second pass finds nothing more.
    expect(await retention.pass()).toEqual({ samples: 0, events: 0, detailEvents: 0, rollups: 0 });
  });

  it('prunes events of every kind and the 15-minute tier past the detail window; history there answers from the hourly tier', async () => {
    const { replica } = fourDays();
    const applied = replica.appliedSeq();
    const hourly = replica.history('Z1', T0, T0 + DAY, 24);
    expect(hourly).toHaveLength(24);

    const retention = new ReplicaRetention(replica, createLogger({ name: 'test', level: 'silent' }), {
      retentionMs: 2 * DAY,
      detailRetentionMs: 3 * DAY,
      batchRows: 500,
      now: () => T0 + 4 * DAY,
    });
    const removed = await retention.pass();
    // Day 0 is past the detail window: its 12 OFF events and its 96 buckets a zone go, beside the
    // SAMPLE events of days 0 and 1 (either pruning may take those of day 0 first).
    expect(removed.samples).toBe(2 * 720 * ZONES.length);
    expect(removed.events + removed.detailEvents).toBe(2 * 720 * ZONES.length + 12);
    expect(removed.rollups).toBe(96 * ZONES.length);
    const raw = files.raw();
    expect(raw.prepare('SELECT count(*) FROM samples_15m WHERE bucket < ?').pluck().get(T0 + DAY)).toBe(0);
    expect(raw.prepare('SELECT count(*) FROM samples_1h WHERE bucket < ?').pluck().get(T0 + DAY)).toBe(24 * ZONES.length);
    expect(replica.queryEvents({ event: 'OFF', limit: 1000 })).toHaveLength(3 * 12);
    // Asked at a finer grain than is left, day 0 answers hour by hour, the same hours as before.
    expect(replica.history('Z1', T0, T0 + DAY, 96)).toEqual(hourly);
    // Day 1 still has its 15-minute buckets.
    expect(replica.history('Z1', T0 + DAY, T0 + 2 * DAY, 96)).toHaveLength(96);
    expect(replica.appliedSeq()).toBe(applied);
    expect(replica.integrityCheck()).toEqual([]);
  });
});
