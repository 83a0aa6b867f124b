import { z } from 'zod';
import type { Clock, SensorBus, SensorReading } from './types.js';

/** How fast a temperature may move before a reading is held back as a glitch. */
export const plausibilityOptionsSchema = z.object({
  /** The fastest a sensor's temperature can really change, °C per minute. */
  maxCelsiusPerMinute: z.number().positive().default(10),
  /** Change always allowed, however short the interval: the part's resolution plus noise. */
  marginCelsius: z.number().min(0).default(1),
  /** Consecutive readings that agree on a new level, the first included, before it is believed (1: no filter). */
  confirmReadings: z.number().int().min(1).max(100).default(3),
  /** A faster limit for sensors that can move fast, such as a boiler supply pipe, by sensor id. */
  perSensor: z.record(z.string(), z.object({ maxCelsiusPerMinute: z.number().positive() })).default({}),
});
export type PlausibilityOptions = z.output<typeof plausibilityOptionsSchema>;

export type PlausibilityVerdict = { ok: true } | { ok: false; detail: string };

interface Level {
  celsius: number;
  /** Monotonic ms. */
  at: number;
}

interface Track extends Level {
  /** Readings that jumped away from the accepted level but agree with each other. */
  candidate: (Level & { count: number }) | undefined;
}

/**
 * Rejects a reading that moved further from the last accepted one than physics allows in the
 * time between them. A lone glitch is dropped; a new level that keeps being read is accepted
 * once `confirmReadings` readings in a row agree on it. Faults are never fed in, so a sensor
 * that was missing for an hour may come back anywhere the hour allows.
 */
export class PlausibilityFilter {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly options: PlausibilityOptions) {}

  /** Judges one good reading of a sensor taken at `at` (monotonic ms), and remembers it. */
  check(sensor: string, celsius: number, at: number): PlausibilityVerdict {
    const track = this.tracks.get(sensor);
    if (!track) {
      this.tracks.set(sensor, { celsius, at, candidate: undefined });
      return { ok: true };
    }
    const rate = this.options.perSensor[sensor]?.maxCelsiusPerMinute ?? this.options.maxCelsiusPerMinute;
    if (this.reachable(track, celsius, at, rate)) {
      this.accept(track, celsius, at);
      return { ok: true };
    }
    const c = track.candidate;
    const candidate = c && this.reachable(c, celsius, at, rate) ? { celsius, at, count: c.count + 1 } : { celsius, at, count: 1 };
    if (candidate.count >= this.options.confirmReadings) {
      this.accept(track, celsius, at);
      return { ok: true };
    }
    track.candidate = candidate;
    const seconds = Math.max(0, (at - track.at) / 1000);
    return {
      ok: false,
      detail:
        `${fmt(celsius)} °C is ${fmt(Math.abs(celsius - track.celsius))} °C from ${fmt(track.celsius)} °C ` +
        `${seconds.toFixed(0)} s earlier, faster than ${rate} °C/min; ` +
        `believed after ${this.options.confirmReadings} readings in a row (${candidate.count} so far)`,
    };
  }

  /** The last accepted temperature of a sensor. */
  lastAccepted(sensor: string): number | undefined {
    return this.tracks.get(sensor)?.celsius;
  }

  /** Forgets a sensor, e.g. after it was replaced: its next reading is accepted as is. */
  forget(sensor: string): void {
    this.tracks.delete(sensor);
  }

  private reachable(from: Level, celsius: number, at: number, ratePerMinute: number): boolean {
    const minutes = Math.max(0, at - from.at) / 60_000;
    return Math.abs(celsius - from.celsius) <= this.options.marginCelsius + ratePerMinute * minutes;
  }

  private accept(track: Track, celsius: number, at: number): void {
    track.celsius = celsius;
    track.at = at;
    track.candidate = undefined;
  }
}

/** Any SensorBus with implausible jumps turned into faults (the simulator's, say). */
export class PlausibleSensorBus implements SensorBus {
  constructor(
    private readonly inner: SensorBus,
    private readonly filter: PlausibilityFilter,
    private readonly clock: Clock,
  ) {}

  async readAll(ids: readonly string[]): Promise<Map<string, SensorReading>> {
    let readings: Map<string, SensorReading>;
    try {
      readings = await this.inner.readAll(ids);
    } catch (err) {
      const at = this.clock.now();
      const detail = `sensor bus failed: ${err instanceof Error ? err.message : String(err)}`;
      return new Map(ids.map((id) => [id, { ok: false, fault: 'read_error', detail, at }]));
    }
    const mono = this.clock.monotonic();
    const out = new Map<string, SensorReading>();
    for (const [id, reading] of readings) {
      if (!reading.ok) {
        out.set(id, reading);
        continue;
      }
      const verdict = this.filter.check(id, reading.celsius, mono);
      out.set(id, verdict.ok ? reading : { ok: false, fault: 'implausible_jump', detail: verdict.detail, at: reading.at });
    }
    return out;
  }

  close(): void {
    this.inner.close();
  }
}

function fmt(celsius: number): string {
  return (Math.round(celsius * 100) / 100).toString();
}
