import { z } from 'zod';
import { AlertKind, ZoneName } from '@boiler/shared';

/** What an episode is about: an alert the agent raised, or one of the two the relay raises itself. */
export const NoticeSource = z.union([AlertKind, z.enum(['pi_offline', 'command_dead', 'test'])]);
export type NoticeSource = z.infer<typeof NoticeSource>;

/** start: the episode began; reminder: it goes on (unacknowledged); resolved: it ended; test: the owner asked. */
export const NoticeKind = z.enum(['start', 'reminder', 'resolved', 'test']);
export type NoticeKind = z.infer<typeof NoticeKind>;

/**
 * One notice, as stored in the outbox and handed to every channel. Its `id` is made once, when
 * the notice is stored, and goes with every retry (ntfy's sequence id, an e-mail's Message-ID, the
 * webhook's Idempotency-Key), so a receiver that dedupes by id shows a retried notice once.
 */
export const Notice = z.strictObject({
  id: z.string().uuid(),
  /** The episode it belongs to (alert:<id>, pi_offline, command:<id>, test:<n>). */
  episode: z.string().min(1).max(120),
  kind: NoticeKind,
  source: NoticeSource,
  zone: ZoneName.nullable(),
  title: z.string().min(1).max(200),
  message: z.string().max(1000),
  /** urgent: freeze risk and the Pi offline (a phone should ring); high: other alerts; normal: resolved and tests. */
  urgency: z.enum(['urgent', 'high', 'normal']),
  /** When the relay made the notice (ms since the epoch). */
  at: z.number().int().nonnegative(),
});
export type Notice = z.infer<typeof Notice>;

/** A readable name for what happened, used in titles. */
export function sourceTitle(source: NoticeSource): string {
  switch (source) {
    case 'freeze_risk':
      return 'Freeze risk';
    case 'sensor_fault':
      return 'Sensor fault';
    case 'long_run':
      return 'Zone running too long';
    case 'no_temp_rise':
      return 'Heating without a temperature rise';
    case 'high_limit':
      return 'High limit reached';
    case 'stuck_relay':
      return 'Relay stuck';
    case 'state_reset':
      return 'Controller state reset';
    case 'storage_fault':
      return 'Controller storage fault';
    case 'output_fault':
      return 'Output fault';
    case 'pi_offline':
      return 'Pi offline';
    case 'command_dead':
      return 'Command not delivered';
    case 'test':
      return 'Test notice';
  }
}

/** How urgent a notice of this kind and source is. */
export function urgencyOf(kind: NoticeKind, source: NoticeSource): Notice['urgency'] {
  if (kind === 'resolved' || kind === 'test') return 'normal';
  return source === 'freeze_risk' || source === 'pi_offline' ? 'urgent' : 'high';
}
