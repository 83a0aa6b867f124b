import type { CommandBody, Preset, WeeklySchedule } from '@boiler/shared';
import { isEmptyWeek, sameWeek } from './week.js';

/** The site's schedules as the relay lists them: `default` and each zone with a week of its own; and the presets. */
export interface SiteSchedules {
  readonly weeks: ReadonlyMap<string, WeeklySchedule>;
  readonly presets: readonly Preset[];
}

/**
 * What a schedule or preset command does once the Pi has confirmed it, as the agent does it, so the
 * page shows the confirmed week at once instead of waiting for the relay's copy to catch up.
 * Other commands change nothing here.
 */
export function applyConfirmed(site: SiteSchedules, body: CommandBody, at: number): SiteSchedules {
  switch (body.type) {
    case 'schedule_set': {
      const weeks = new Map(site.weeks);
      // A zone's empty week means it follows the default again.
      if (body.zone !== 'default' && isEmptyWeek(body.schedule)) weeks.delete(body.zone);
      else weeks.set(body.zone, body.schedule);
      return { ...site, weeks };
    }
    case 'preset_save':
      return { ...site, presets: [...site.presets.filter((p) => p.name !== body.name), { name: body.name, schedule: body.schedule, saved_at: at }] };
    case 'preset_apply': {
      const preset = site.presets.find((p) => p.name === body.name);
      if (preset === undefined) return site;
      const weeks = new Map(site.weeks);
      for (const zone of body.zones) weeks.set(zone, preset.schedule);
      return { ...site, weeks };
    }
    case 'preset_delete':
      return { ...site, presets: site.presets.filter((p) => p.name !== body.name) };
    default:
      return site;
  }
}

/** Whether a listing already shows what a confirmed command did (doing it again would change nothing). */
export function reflects(site: SiteSchedules, body: CommandBody): boolean {
  const after = applyConfirmed(site, body, 0);
  if (after.weeks.size !== site.weeks.size) return false;
  for (const [zone, week] of after.weeks) {
    const before = site.weeks.get(zone);
    if (before === undefined || !sameWeek(before, week)) return false;
  }
  if (after.presets.length !== site.presets.length) return false;
  return after.presets.every((p) => site.presets.some((q) => q.name === p.name && sameWeek(q.schedule, p.schedule)));
}
