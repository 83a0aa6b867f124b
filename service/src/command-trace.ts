import type { Logger } from './log.js';

/**
 * The points of a command's life the bench breaks its round trip into, in the order they happen:
 * on the relay `request` (the POST reached its HTTP server), `accepted` (the queue has it, parsed),
 * `stored` (committed), `sent` (about to be handed to the link socket); on the agent `received`
 * (the frame arrived), `committed` (its transaction returned), `answered` (the answer about to be
 * handed to the socket); on the relay again `answer_received`, `answer_stored` (the final state
 * committed) and `live_sent` (the frame about to go to the UIs' sockets). A hand-off is stamped
 * before the call, since on a busy host the peer may have the frame before send() has returned.
 */
export type CommandStage =
  | 'request'
  | 'accepted'
  | 'stored'
  | 'sent'
  | 'received'
  | 'committed'
  | 'answered'
  | 'answer_received'
  | 'answer_stored'
  | 'live_sent';

/** The log message of a stage line, which the bench looks for. */
export const COMMAND_STAGE_MSG = 'command stage';

/**
 * Microseconds on the host's monotonic clock. It is one clock for every process on the machine
 * (CLOCK_MONOTONIC), so the agent's and the relay's stamps can be subtracted from each other.
 */
export function monotonicMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

/** Whether stage lines are written at all: only at LOG_LEVEL=trace, so the command path pays one level check otherwise. */
export function commandTraceOn(log: Logger): boolean {
  return log.isLevelEnabled('trace');
}

/**
 * Writes one trace-level line for a command reaching a stage, stamped on the monotonic clock. It
 * is measurement only: nothing reads it back, and below trace level it costs a level check.
 */
export function traceCommand(log: Logger, id: string, stage: CommandStage, atUs?: number): void {
  if (!log.isLevelEnabled('trace')) return;
  log.trace({ id, stage, at_us: atUs ?? monotonicMicros() }, COMMAND_STAGE_MSG);
}
