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
 * The fail-safe duty cycle: on for the first `duty_fraction` of every period. The phase comes
 * from the monotonic clock so that a wall-clock change cannot stretch the off part of a cycle.
 */
export function dutyCycleOn(failsafe: ZoneConfig['failsafe'], mono: number): boolean {
  const periodMs = failsafe.period_s * 1000;
  const phase = ((mono % periodMs) + periodMs) % periodMs;
  return phase < failsafe.duty_fraction * periodMs;
}

/** What the zone's sensor-fault fail-safe asks for now. */
export function failsafeOn(failsafe: ZoneConfig['failsafe'], mono: number): boolean {
  switch (failsafe.action) {
    case 'on':
      return true;
    case 'off':
      return false;
    case 'duty':
      return dutyCycleOn(failsafe, mono);
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
