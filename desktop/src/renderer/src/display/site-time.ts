/** Times are shown on the site's clock, in its time zone (the house's, not the viewer's). */
export function siteClock(ms: number, timeZone: string): string {
  return new Intl.DateTimeFormat('en-US', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
}

/** A site time with its day when it is not the same day as `reference`: "Tue 14:05" or "14:05". */
export function siteMoment(ms: number, timeZone: string, reference: number): string {
  const day = (t: number) => new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(t);
  const clock = siteClock(ms, timeZone);
  if (day(ms) === day(reference)) return clock;
  return `${new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short' }).format(ms)} ${clock}`;
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
