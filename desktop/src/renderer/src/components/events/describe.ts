import type { CommandBody, EventEntry, TemperatureUnit } from '@boiler/shared';
import { degrees } from '../../display/temperature.js';
import type { CommandRecord } from '../../backend/command-record.js';

const formats = new Map<string, Intl.DateTimeFormat>();

/** "Wed 2 Dec, 10:04:52" on the site's clock; each format built once per time zone. */
export function siteStamp(ms: number, timeZone: string): string {
  let f = formats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    formats.set(timeZone, f);
  }
  return f.format(ms);
}

/** A duration in a few characters: "45 s", "12 min", "1 h 05 min". */
export function span(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const min = Math.round(seconds / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

/** The readings an event carries, in the unit the owner chose. */
export function readings(e: EventEntry, unit: TemperatureUnit): string {
  const parts: string[] = [];
  const t = (label: string, c: number | null | undefined) => {
    if (c !== null && c !== undefined) parts.push(`${label} ${degrees(c, unit)} °${unit}`);
  };
  t('room', e.room_c);
  t('set', e.setpoint_c);
  t('pipe', e.pipe_c);
  t('outdoor', e.outdoor_c);
  return parts.join(', ');
}

/** What happened, in words: the detail, a run's length, a sample's output. */
export function eventText(e: EventEntry): string {
  switch (e.event) {
    case 'OFF':
      return [e.duration_s === null ? null : `ran ${span(e.duration_s)}`, e.detail].filter((x) => x !== null && x !== '').join(' · ');
    case 'SAMPLE':
      return e.detail === 'on' ? 'output on' : e.detail === 'off' ? 'output off' : (e.detail ?? '');
    default:
      return e.detail ?? '';
  }
}

/** Who sent a command: the name the sender gave, and the relay's word for the client. */
export function sender(c: CommandRecord): string {
  return c.issued_by === null ? c.client : `${c.issued_by} (${c.client})`;
}

/** How a command ended, or where it is: the state, the agent's or relay's reason when it did not succeed. */
export function outcome(c: CommandRecord): string {
  const error = c.result?.error ?? c.last_error;
  if (c.state === 'succeeded') return 'succeeded';
  return error === null ? c.state : `${c.state}: ${error.message}`;
}

/** A command in words: its type, its zone, its values (temperatures in the owner's unit). */
export function commandText(body: CommandBody, unit: TemperatureUnit): string {
  const parts: string[] = [body.type.replaceAll('_', ' ')];
  for (const [key, value] of Object.entries(body)) {
    if (key === 'type') continue;
    if (typeof value === 'number' && key.endsWith('_c')) parts.push(`${key.slice(0, -2).replaceAll('_', ' ')} ${degrees(value, unit)} °${unit}`);
    else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') parts.push(key === 'zone' ? value.toString() : `${key.replaceAll('_', ' ')} ${String(value)}`);
    else if (Array.isArray(value)) parts.push(`${key.replaceAll('_', ' ')} (${value.length})`);
    else if (value !== null && value !== undefined) parts.push(key.replaceAll('_', ' '));
  }
  return parts.join(' · ');
}
