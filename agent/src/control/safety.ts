import type { ZoneConfig } from '../zones.js';

/** Freeze protection holds until every healthy sensor is this far above its limit, so it does not chatter. */
export const FREEZE_RELEASE_MARGIN_C = 3;

/**
 * Whether freeze protection holds the zone: it starts when the room or the pipe is below its
 * limit and lasts until both (each that still reads) are the margin above. With no healthy
 * sensor at all it lets go, and the sensor-fault fail-safe takes over.
 */
export function freezeProtects(zone: ZoneConfig, roomC: number | null, pipeC: number | null, wasLatched: boolean): boolean {
  if (roomC !== null && roomC < zone.freeze_room_c) return true;
  if (pipeC !== null && pipeC < zone.freeze_pipe_c) return true;
  if (!wasLatched) return false;
  const roomWarm = roomC === null || roomC >= zone.freeze_room_c + FREEZE_RELEASE_MARGIN_C;
  const pipeWarm = pipeC === null || pipeC >= zone.freeze_pipe_c + FREEZE_RELEASE_MARGIN_C;
  return !(roomWarm && pipeWarm);
}

/** Whether the room is at or above its high limit. */
export function overHighLimit(zone: ZoneConfig, roomC: number | null): boolean {
  return roomC !== null && roomC >= zone.high_limit_c;
}

/** Heat below setpoint − differential, stop at the setpoint, and in between keep doing what it did. */
export function hysteresis(roomC: number, setpointC: number, differentialC: number, calling: boolean): boolean {
  if (roomC >= setpointC) return false;
  if (roomC < setpointC - differentialC) return true;
  return calling;
}

/**
 * The room temperature a zone's emitters are assumed to hold at full duty on the design cold day,
 * °C: what sizing a heating system means. Until the engine has learned a zone, the fail-safe takes
 * the room-over-outdoor difference it can hold at full duty to be this minus the design cold.
 */
export const DESIGN_ROOM_C = 20;

/** What the fail-safe plans with this tick. */
export interface FailsafeWeather {
  /** The outdoor temperature it plans for, °C. */
  readonly outdoorC: number;
  /** False when that is the design cold because the outdoor sensor failed or none is fitted. */
  readonly measured: boolean;
}

/**
 * The outdoor temperature the fail-safe plans for. Without a healthy outdoor reading it takes the
 * site's design cold: a guess on the warm side would starve a blind zone on the bitterest night,
 * while a guess on the cold side costs fuel in a room that is warmer than needed.
 */
export function failsafeWeather(outdoorC: number | null, designOutdoorC: number): FailsafeWeather {
  return outdoorC === null ? { outdoorC: designOutdoorC, measured: false } : { outdoorC, measured: true };
}

/**
 * The on-share of the fail-safe duty cycle: what should hold `hold_c` at this outdoor temperature,
 * within the configured bounds. The room settles where the emitter's average heat meets the
 * envelope's loss, so duty = (hold - outdoor) / span, where span is how far above outdoors the
 * zone holds its room at full duty. The span assumed from the design cold is replaced by what the
 * engine learned of the zone (`learnedSpanC`) only when that is smaller, i.e. when the zone proved
 * to need more heat than its sizing suggests (a draughty room, a door left open): a learned span
 * larger than the design one may come from sun or occupants that a blind night does not have.
 */
export function failsafeDuty(failsafe: ZoneConfig['failsafe'], weather: FailsafeWeather, designOutdoorC: number, learnedSpanC: number | null = null): number {
  if (failsafe.duty_fraction !== undefined) return failsafe.duty_fraction;
  const designSpan = Math.max(1, DESIGN_ROOM_C - designOutdoorC);
  const span = learnedSpanC !== null && learnedSpanC > 0 ? Math.min(designSpan, learnedSpanC) : designSpan;
  const need = (failsafe.hold_c - weather.outdoorC) / span;
  return Math.min(failsafe.max_duty, Math.max(failsafe.min_duty, need));
}

/**
 * The fail-safe duty cycle: on for the first `duty` share of every period. The phase comes from
 * the monotonic clock so that a wall-clock change cannot stretch the off part of a cycle. The
 * minimum times, applied after, stretch an on part shorter than min_on_s and an off part shorter
 * than min_off_s (the next on part then starts late and is shorter by as much).
 */
export function dutyCycleOn(duty: number, periodS: number, mono: number): boolean {
  const periodMs = periodS * 1000;
  const phase = ((mono % periodMs) + periodMs) % periodMs;
  return phase < duty * periodMs;
}

/** What the zone's sensor-fault fail-safe asks for now; `duty` is failsafeDuty's share. */
export function failsafeOn(failsafe: ZoneConfig['failsafe'], duty: number, mono: number): boolean {
  switch (failsafe.action) {
    case 'on':
      return true;
    case 'off':
      return false;
    case 'duty':
      return dutyCycleOn(duty, failsafe.period_s, mono);
  }
}

/**
 * Applies the minimum on and off times to a wish: an output keeps its level until its minimum
 * time has passed. The one exception is the high limit, which may cut a minimum on time short:
 * the minimum on time exists to spare the boiler and the valve motors some wear, while an
 * overheating room means a stuck thermostat, a fire risk or a cooked occupant, and wear is the
 * cheaper harm. Nothing may cut a minimum off time short, freeze protection included: it waits
 * at most min_off_s (an hour at the very worst), which a pipe survives.
 */
export function holdMinimumTimes(
  zone: ZoneConfig,
  isOn: boolean,
  sinceChangeMs: number,
  want: boolean,
  highLimit: boolean,
): boolean {
  if (isOn && !want && !highLimit && sinceChangeMs < zone.min_on_s * 1000) return true;
  if (!isOn && want && sinceChangeMs < zone.min_off_s * 1000) return false;
  return want;
}
