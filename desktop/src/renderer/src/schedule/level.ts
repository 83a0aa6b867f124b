import type { TemperatureUnit } from '@boiler/shared';
import { degrees, setpointStep, setpointToCelsius, shownSetpoint } from '../display/temperature.js';
import { clampSetpoint, type Level } from './week.js';

/** A block's level in words: "68°" (heat) or "On" / "Off". */
export function levelText(level: Level, unit: TemperatureUnit): string {
  if (typeof level === 'boolean') return level ? 'On' : 'Off';
  return `${degrees(level, unit)}°`;
}

/** One ± tap on a block's setpoint in the unit shown (1 °F or 0.5 °C), as °C within the allowed range; on/off flips. */
export function stepLevel(level: Level, direction: 1 | -1, unit: TemperatureUnit): Level {
  if (typeof level === 'boolean') return direction > 0;
  return clampSetpoint(setpointToCelsius(shownSetpoint(level, unit) + direction * setpointStep(unit), unit));
}

/** Setpoints at or below COOL_C are drawn all blue, at or above WARM_C all orange: a setback and a comfort level read apart at a glance. */
const COOL_C = 15;
const WARM_C = 22;

/** A block's colour: blue for low setpoints through to orange for high (mixed in oklab, so no green between); grey for off, orange for on. */
export function levelColour(level: Level): string {
  if (typeof level === 'boolean') return level ? 'hsl(28 90% 64%)' : 'hsl(215 15% 66%)';
  const warm = Math.round(Math.min(1, Math.max(0, (level - COOL_C) / (WARM_C - COOL_C))) * 100);
  return `color-mix(in oklab, hsl(26 95% 63%) ${warm}%, hsl(212 85% 72%))`;
}
