import type { ZonesFile } from '../zones.js';

/** What the engine is told once at start: the parsed zones file and the site's IANA time zone. */
export type EngineConfig = ZonesFile & {
  /** The site's own zone (e.g. "America/Denver"); schedules are read on this wall clock. */
  readonly time_zone: string;
};

/** An instant on both clocks: wall (UTC epoch ms) for schedules and timestamps, mono for every timer. */
export interface Instant {
  readonly wall: number;
  readonly mono: number;
}
