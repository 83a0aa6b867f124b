import { siteDays, type SiteDay } from '@boiler/shared';
import { AgentStore, type Sample } from '../../agent/src/store/index.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** One seeded run: when it starts after the day's midnight and how long it lasts. */
export interface SeededRun {
  atMs: number;
  lengthMs: number;
}

/**
 * The runs seeded on the k-th day: 06:00 for 45 min and 12:00 for 20 min, both from the schedule,
 * and at 17:00 a run of 30 min, or of 2 min (a short cycle: under the 3 min threshold) every third
 * day; every fourth day a fourth run from 23:30 over midnight to 00:30. Hours count from midnight
 * in real time, so they are wall-clock hours except on a daylight-saving day.
 */
export function runsOfDay(k: number): SeededRun[] {
  const runs: SeededRun[] = [
    { atMs: 6 * HOUR, lengthMs: 45 * MINUTE },
    { atMs: 12 * HOUR, lengthMs: 20 * MINUTE },
    { atMs: 17 * HOUR, lengthMs: k % 3 === 0 ? 2 * MINUTE : 30 * MINUTE },
  ];
  if (k % 4 === 0) runs.push({ atMs: 23.5 * HOUR, lengthMs: HOUR });
  return runs;
}

/** What the stats route should say of a seeded day, worked out from runsOfDay by hand. */
export interface ExpectedDay {
  date: string;
  calls: number;
  runs: number;
  run_s: number;
  short_cycles: number;
}

/**
 * Writes `days` whole site days of a zone's history into an agent database that no agent has open
 * yet: the ON/OFF events of runsOfDay and, when `sampleEveryMs` is given, samples (the room
 * warming while the zone runs) for the chart. Days are the site's, ending at the one that holds
 * `before` (not included). Returns the days and what each should count.
 */
export function seedZoneRuns(
  dbPath: string,
  options: { zone: string; timeZone: string; before: number; days: number; sampleEveryMs?: number },
): { days: SiteDay[]; expected: ExpectedDay[]; lastSeq: number } {
  const { zone, timeZone, before } = options;
  const all = siteDays(before - (options.days + 2) * 24 * HOUR, before, timeZone);
  const days = all.slice(all.length - 1 - options.days, all.length - 1);
  const store = AgentStore.open(dbPath);
  let lastSeq = 0;
  try {
    for (const [k, day] of days.entries()) {
      const runs = runsOfDay(k).map((r) => ({ start: day.start + r.atMs, stop: day.start + r.atMs + r.lengthMs }));
      if (options.sampleEveryMs !== undefined) {
        const samples: Sample[] = [];
        for (let ts = day.start; ts < day.end; ts += options.sampleEveryMs) {
          const on = runs.some((r) => r.start <= ts && ts < r.stop);
          const hour = (ts - day.start) / HOUR;
          samples.push({ zone, ts, room_c: 18 + 2 * Math.sin((hour / 24) * 2 * Math.PI) + (on ? 0.8 : 0), pipe_c: on ? 55 : 24, outdoor_c: -6 + 5 * Math.sin(((hour - 9) / 24) * 2 * Math.PI), output: on });
        }
        lastSeq = store.recordSamples(samples).at(-1)?.seq ?? lastSeq;
      }
      const events = runs.flatMap((r) => [
        { ts: r.start, source: 'control' as const, zone, event: 'ON' as const, room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: 'seeded: schedule setpoint' },
        { ts: r.stop, source: 'control' as const, zone, event: 'OFF' as const, room_c: null, pipe_c: null, outdoor_c: null, duration_s: Math.round((r.stop - r.start) / 1000), detail: 'seeded: setpoint reached' },
      ]);
      lastSeq = store.appendEvents(events).at(-1)?.seq ?? lastSeq;
    }
  } finally {
    store.close();
  }
  return { days, expected: days.map((d, k) => expectedDay(d, k, days[k - 1])), lastSeq };
}

/** A seeded day's counts: its own runs (cut at midnight), plus what went on over midnight from the day before. */
function expectedDay(day: SiteDay, k: number, before: SiteDay | undefined): ExpectedDay {
  const own = runsOfDay(k);
  const ownMs = own.reduce((n, r) => n + Math.min(r.lengthMs, day.end - day.start - r.atMs), 0);
  const carriedMs = before === undefined ? 0 : runsOfDay(k - 1).reduce((n, r) => n + Math.max(0, before.start + r.atMs + r.lengthMs - day.start), 0);
  return {
    date: day.date,
    calls: own.length,
    runs: own.length + (carriedMs > 0 ? 1 : 0),
    run_s: Math.round((ownMs + carriedMs) / 1000),
    short_cycles: own.filter((r) => r.lengthMs < 3 * MINUTE).length,
  };
}
