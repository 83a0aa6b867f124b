import type { TemperatureUnit } from '@boiler/shared';
import { degrees, setpointStep, setpointToCelsius, shownSetpoint } from '../display/temperature';
import { clampSetpoint, type Level } from './week';

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

/** A block's colour: cool blue for low setpoints to warm orange for high, grey for off and orange for on. */
export function levelColour(level: Level): string {
  if (typeof level === 'boolean') return level ? 'hsl(28 85% 62%)' : 'hsl(215 15% 62%)';
  const t = Math.min(1, Math.max(0, (level - 12) / (23 - 12)));
  const hue = Math.round(215 - t * (215 - 22));
  return `hsl(${hue} 75% 66%)`;
}
