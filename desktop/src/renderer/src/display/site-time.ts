const FORMATS = {
  clock: { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' },
  day: { year: 'numeric', month: '2-digit', day: '2-digit' },
  weekday: { weekday: 'short' },
} as const satisfies Record<string, Intl.DateTimeFormatOptions>;
const formats = new Map<string, Intl.DateTimeFormat>();

/** A format by kind and time zone, built once: building one costs far more than using it (the clock and tiles format every second). */
function format(kind: keyof typeof FORMATS, timeZone: string): Intl.DateTimeFormat {
  const key = `${kind} ${timeZone}`;
  let f = formats.get(key);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, ...FORMATS[kind] });
    formats.set(key, f);
  }
  return f;
}

/** Times are shown on the site's clock, in its time zone (the house's, not the viewer's). */
export function siteClock(ms: number, timeZone: string): string {
  return format('clock', timeZone).format(ms);
}

/** A site time with its day when it is not the same day as `reference`: "Tue 14:05" or "14:05". */
export function siteMoment(ms: number, timeZone: string, reference: number): string {
  const day = (t: number) => format('day', timeZone).format(t);
  const clock = siteClock(ms, timeZone);
  if (day(ms) === day(reference)) return clock;
  return `${format('weekday', timeZone).format(ms)} ${clock}`;
}

/** How long ago, in a few characters: "12 s", "4 min", "3 h", "2 d". */
export function age(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d`;
}

/** Whether the viewer's time zone differs from the site's. */
export function viewerZoneDiffers(siteZone: string): boolean {
  return Intl.DateTimeFormat().resolvedOptions().timeZone !== siteZone;
}

/** The offset of a time zone's wall clock from UTC at an instant, in ms (Denver in winter: -7 h). */
function zoneOffset(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(ms);
  const n = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const wall = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return wall - (ms - (ms % 1000));
}

/**
 * The next instant after `siteNow` at which the site's clock reads `hh:mm` (today or tomorrow, in
 * its time zone): what "until 18:30" means at the house, whatever the viewer's own zone.
 */
export function nextSiteTime(hours: number, minutes: number, timeZone: string, siteNow: number): number {
  const offset = zoneOffset(siteNow, timeZone);
  const local = new Date(siteNow + offset);
  for (let day = 0; day <= 2; day++) {
    const wall = Date.UTC(local.getUTCFullYear(), local.getUTCMonth(), local.getUTCDate() + day, hours, minutes);
    // The zone's offset at that wall time (it may differ across a daylight-saving change).
    let at = wall - offset;
    at = wall - zoneOffset(at, timeZone);
    if (at > siteNow) return at;
  }
  return siteNow + 24 * 3600_000;
}
