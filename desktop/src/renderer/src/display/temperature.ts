import { fromCelsius, toCelsius, type TemperatureUnit } from '@boiler/shared';

/** The number alone, rounded for the unit: whole °F, tenths of °C; "—" when unknown. */
export function degrees(celsius: number | null, unit: TemperatureUnit): string {
  if (celsius === null) return '—';
  const v = fromCelsius(celsius, unit);
  return unit === 'F' ? Math.round(v).toString() : (Math.round(v * 10) / 10).toFixed(1);
}

/** One tap of a setpoint's ± in the unit shown: 1 °F or 0.5 °C. */
export function setpointStep(unit: TemperatureUnit): number {
  return unit === 'F' ? 1 : 0.5;
}

/** A setpoint as the owner sees it (whole °F, half °C), from °C. */
export function shownSetpoint(celsius: number, unit: TemperatureUnit): number {
  const v = fromCelsius(celsius, unit);
  return unit === 'F' ? Math.round(v) : Math.round(v * 2) / 2;
}

/** The °C to send for a setpoint the owner chose in the unit shown (to a hundredth; the schema takes any number in range). */
export function setpointToCelsius(shown: number, unit: TemperatureUnit): number {
  return Math.round(toCelsius(shown, unit) * 100) / 100;
}
