import type { HeatLearning } from './state.js';
import type { Instant } from './config.js';

// What the engine learns of a zone's heat balance while its room sensor is good, for the
// sensor-fault fail-safe: the span, how many kelvin above outdoors the zone holds its room per
// unit of duty. Over a window in which the room ends about where it began, the heat the emitter
// gave (its rating times the on-share) met the envelope's loss (its conductance times the mean
// room-over-outdoor difference), so span = mean difference / on-share, whatever the rating and
// conductance are. A window that does not qualify teaches nothing.

/** How long one window runs: long enough to hold many duty cycles and for the room to settle. */
export const LEARNING_WINDOW_MS = 6 * 3600_000;
/** A gap between ticks longer than this (a stall, a restart) starts the window again. */
export const LEARNING_MAX_GAP_MS = 5 * 60_000;
/** A window whose room moved more than this, K, was warming or cooling, not in balance. */
export const LEARNING_STEADY_C = 1;
/** Too little on-time, or too small a difference to outdoors, says nothing about the zone's heat. */
export const LEARNING_MIN_DUTY = 0.05;
export const LEARNING_MIN_DIFFERENCE_C = 5;
/** Each qualifying window moves the span this share of the way to what it measured. */
export const LEARNING_WEIGHT = 0.3;

export const NO_LEARNING: HeatLearning = { span_c: null, window: null };

/** What one tick shows of the zone: its room and the outdoors (null when unread), and whether it heated since the last tick. */
export interface HeatSample {
  readonly roomC: number | null;
  readonly outdoorC: number | null;
  readonly heated: boolean;
}

/** One tick of learning: extends the window, and when it is full, folds it into the span if it qualifies. */
export function learnHeat(before: HeatLearning, sample: HeatSample, now: Instant): HeatLearning {
  const { roomC, outdoorC } = sample;
  if (roomC === null || outdoorC === null) return before.window === null ? before : { ...before, window: null };
  const w = before.window;
  const dt = w === null ? -1 : now.mono - w.last_mono;
  if (w === null || dt < 0 || dt > LEARNING_MAX_GAP_MS) {
    return { ...before, window: { started_mono: now.mono, last_mono: now.mono, on_ms: 0, difference_ms: 0, room_start_c: roomC } };
  }
  const window = {
    ...w,
    last_mono: now.mono,
    on_ms: w.on_ms + (sample.heated ? dt : 0),
    difference_ms: w.difference_ms + (roomC - outdoorC) * dt,
  };
  const spanMs = now.mono - w.started_mono;
  if (spanMs < LEARNING_WINDOW_MS) return { ...before, window };
  const fresh = { started_mono: now.mono, last_mono: now.mono, on_ms: 0, difference_ms: 0, room_start_c: roomC };
  const duty = window.on_ms / spanMs;
  const difference = window.difference_ms / spanMs;
  const steady = Math.abs(roomC - w.room_start_c) <= LEARNING_STEADY_C;
  if (!steady || duty < LEARNING_MIN_DUTY || difference < LEARNING_MIN_DIFFERENCE_C) return { ...before, window: fresh };
  const measured = difference / duty;
  const span = before.span_c === null ? measured : before.span_c + LEARNING_WEIGHT * (measured - before.span_c);
  return { span_c: span, window: fresh };
}
