import { z } from 'zod';

/** Temperatures are stored and sent in °C; the UI shows °F or °C by a setting. */
export const TemperatureUnit = z.enum(['F', 'C']);
export type TemperatureUnit = z.infer<typeof TemperatureUnit>;

/** The unit the UI shows when the owner has not chosen one. */
export const DEFAULT_UNIT: TemperatureUnit = 'F';

/** A temperature in °C, within what any sensor on a heating system can honestly report. */
export const Celsius = z.number().min(-55).max(125);

/** Converts °C to °F. */
export function cToF(celsius: number): number {
  return (celsius * 9) / 5 + 32;
}

/** Converts °F to °C. */
export function fToC(fahrenheit: number): number {
  return ((fahrenheit - 32) * 5) / 9;
}

/** A °C value in the given unit, unrounded. */
export function fromCelsius(celsius: number, unit: TemperatureUnit): number {
  return unit === 'F' ? cToF(celsius) : celsius;
}

/** A value typed in the given unit, in °C. */
export function toCelsius(value: number, unit: TemperatureUnit): number {
  return unit === 'F' ? fToC(value) : value;
}

/** A temperature difference (a differential, a drop) in the given unit. */
export function deltaFromCelsius(deltaC: number, unit: TemperatureUnit): number {
  return unit === 'F' ? (deltaC * 9) / 5 : deltaC;
}

/** How a temperature reads on screen: "68 °F", "20.5 °C", or "—" when unknown. */
export function formatTemperature(celsius: number | null, unit: TemperatureUnit): string {
  if (celsius === null) return '—';
  const value = fromCelsius(celsius, unit);
  // °F has finer steps, so whole degrees read naturally; °C needs a tenth.
  const shown = unit === 'F' ? Math.round(value).toString() : (Math.round(value * 10) / 10).toFixed(1);
  return `${shown} °${unit}`;
}
