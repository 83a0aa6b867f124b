import type { SensorReading } from '../hardware/types.js';

/** What the hardware reported for one zone this tick. */
export interface ZoneReadings {
  /** Absent when the zone has no room sensor fitted (a configured sensor that is absent counts as missing). */
  readonly room?: SensorReading | undefined;
  readonly pipe?: SensorReading | undefined;
  /** The wall thermostat's call for heat. */
  readonly call_for_heat?: boolean | undefined;
}

/** Everything the engine reads in one tick; keyed by zone name (a Map, since a name may be any word). */
export interface Readings {
  readonly zones: ReadonlyMap<string, ZoneReadings>;
  readonly outdoor?: SensorReading | undefined;
  /** The burner-firing input, when one is wired. */
  readonly burner?: boolean | undefined;
}

const MISSING: SensorReading = { ok: false, fault: 'missing', detail: 'no reading from a configured sensor', at: 0 };

/**
 * The reading the engine acts on: null when no sensor is fitted. A sensor named in the config
 * that gave no reading at all is a fault, not "not fitted", so a lost wire cannot look like a spare zone.
 */
export function sensorOf(configured: string | undefined, reading: SensorReading | undefined): SensorReading | null {
  if (reading !== undefined) return reading;
  return configured === undefined ? null : MISSING;
}

/** The temperature of a healthy reading, else null. */
export function celsiusOf(reading: SensorReading | null | undefined): number | null {
  return reading?.ok === true && Number.isFinite(reading.celsius) ? reading.celsius : null;
}

const REPORT_MIN_C = -55;
const REPORT_MAX_C = 125;

/** A temperature fit for the event log and the API (whose schema stops at the DS18B20's range), else null. */
export function reportableCelsius(reading: SensorReading | null | undefined): number | null {
  const c = celsiusOf(reading);
  return c !== null && c >= REPORT_MIN_C && c <= REPORT_MAX_C ? c : null;
}
