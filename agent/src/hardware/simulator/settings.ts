import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError, describeIssues, utcOffsetMinutes } from '@boiler/shared';
import type { ZonesFile } from '../../zones.js';
import type { InitialTemperatures, SimulatedHouseOptions } from './house.js';
import { MAX_HEAT_LOSS_SCALE } from './house.js';
import { COLORADO_WINTER, type OutdoorOptions } from './outdoor.js';

// The simulator's knobs for installers and tests: the weather, the start date and time, the
// starting room temperatures, a draughtier house, and wall-clock steps. Each comes from the
// environment (SIM_*) or from a JSON file (SIM_FILE); a variable wins over the file's field.

const OUTDOOR_MIN_C = -60;
const OUTDOOR_MAX_C = 50;
/** A clock step or offset of at most a year either way. */
const MAX_CLOCK_S = 366 * 86_400;

const outdoorC = z.number().min(OUTDOOR_MIN_C).max(OUTDOOR_MAX_C);
const hourOfDay = z.number().min(0).lt(24);
const swingC = z.number().min(0).max(40);
const roomC = z.number().min(-40).max(40);
const heatLossScale = z.number().gt(0).max(MAX_HEAT_LOSS_SCALE);
const clockSeconds = z.number().min(-MAX_CLOCK_S).max(MAX_CLOCK_S);

/** "2026-01-12T00:00" in the site's time zone, or with "Z" or an offset ("2026-01-12T07:00Z", "+01:00"). */
const START_PATTERN = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:?\d{2})?$/;
const startText = z
  .string()
  .regex(START_PATTERN, 'expected YYYY-MM-DDTHH:MM[:SS] in site time, or with Z or an offset')
  .refine(isCalendarDate, 'no such date or time of day');

/** Whether the date and time fields exist (Date.UTC would quietly roll 31 February into March). */
function isCalendarDate(text: string): boolean {
  const m = START_PATTERN.exec(text);
  if (m === null) return true; // the regex reports it
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, sec));
  return t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h && t.getUTCMinutes() === mi && sec < 60;
}

/** The simulator file (SIM_FILE). */
export const SimFile = z.strictObject({
  /** A fixed outdoor temperature, or a day with a swing: mean ± swing, coldest at coldest_hour (site time). */
  outdoor: z
    .strictObject({
      fixed_c: outdoorC.optional(),
      mean_c: outdoorC.optional(),
      swing_c: swingC.optional(),
      coldest_hour: hourOfDay.optional(),
    })
    .optional(),
  start: startText.optional(),
  /** Every room at one temperature, or some by zone name (the rest at the default 18 °C). */
  room_c: z.union([roomC, z.record(z.string().min(1), roomC)]).optional(),
  heat_loss_scale: heatLossScale.optional(),
  /** The wall clock set this far from the real one at start, s. */
  clock_offset_s: clockSeconds.optional(),
  /** The wall clock stepped once by `by_s`, `after_s` of simulated time after start. */
  clock_step: z.strictObject({ after_s: z.number().min(0).max(MAX_CLOCK_S), by_s: clockSeconds }).optional(),
});
export type SimFile = z.infer<typeof SimFile>;

const DURATION = /^([+-]?\d+(?:\.\d+)?)(s|m|h|d)?$/;
const UNIT_S: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** "+2h", "-90m", "30s", "7200" (seconds) -> seconds; null when not a duration. */
function durationSeconds(text: string): number | null {
  const m = DURATION.exec(text.trim());
  if (m === null) return null;
  return Number(m[1]) * (UNIT_S[m[2] ?? 's'] as number);
}

const envDuration = z.string().transform((text, ctx) => {
  const s = durationSeconds(text);
  if (s === null || Math.abs(s) > MAX_CLOCK_S) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like +2h, -90m or 7200 (seconds), at most ${MAX_CLOCK_S / 86_400} days` });
    return z.NEVER;
  }
  return s;
});

/** "+2h@10m": step the wall clock by +2 h once, 10 simulated minutes after start. */
const envClockStep = z.string().transform((text, ctx) => {
  const [by, after, ...rest] = text.split('@');
  const byS = by === undefined ? null : durationSeconds(by);
  const afterS = after === undefined ? null : durationSeconds(after);
  if (rest.length > 0 || byS === null || afterS === null || afterS < 0 || Math.abs(byS) > MAX_CLOCK_S || afterS > MAX_CLOCK_S) {
    ctx.addIssue({ code: 'custom', message: 'expected <step>@<after start>, e.g. +2h@10m or -7200@600' });
    return z.NEVER;
  }
  return { after_s: afterS, by_s: byS };
});

/** "16" (every room), "Z1=12,Z5=8" (by zone), or both ("16,Z5=8"). */
const envRooms = z.string().transform((text, ctx) => {
  let all: number | undefined;
  const zones: Record<string, number> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const eq = part.indexOf('=');
    const value = Number(eq < 0 ? part : part.slice(eq + 1));
    if (!(Number.isFinite(value) && value >= -40 && value <= 40)) {
      ctx.addIssue({ code: 'custom', message: `"${part}": expected a temperature from -40 to 40 °C, alone or as ZONE=°C` });
      return z.NEVER;
    }
    if (eq < 0) all = value;
    else zones[part.slice(0, eq).trim()] = value;
  }
  return { all, zones };
});

const envNumberIn = (schema: z.ZodNumber) => z.coerce.number({ error: 'expected a number' }).pipe(schema);

/** The simulator's environment variables, spread into the agent's env schema. */
export const simEnvShape = {
  /** A JSON file with the knobs below (SimFile); the variables win over its fields. */
  SIM_FILE: z.string().min(1).optional(),
  SIM_OUTDOOR_C: envNumberIn(outdoorC).optional(),
  SIM_OUTDOOR_MEAN_C: envNumberIn(outdoorC).optional(),
  SIM_OUTDOOR_SWING_C: envNumberIn(swingC).optional(),
  SIM_OUTDOOR_COLDEST_HOUR: envNumberIn(hourOfDay).optional(),
  SIM_START: startText.optional(),
  SIM_ROOM_C: envRooms.optional(),
  SIM_HEAT_LOSS_SCALE: envNumberIn(heatLossScale).optional(),
  SIM_CLOCK_OFFSET: envDuration.optional(),
  SIM_CLOCK_STEP: envClockStep.optional(),
};
export const SimEnv = z.object(simEnvShape);
export type SimEnv = z.infer<typeof SimEnv>;

/** The house options the knobs give, with the time zone and the real clock's now for the defaults. */
export function simHouseOptions(env: SimEnv, zones: ZonesFile, timeZone: string, realNow: number, readFile: (path: string) => string = (p) => readFileSync(p, 'utf8')): SimulatedHouseOptions {
  const file = env.SIM_FILE === undefined ? {} : readSimFile(env.SIM_FILE, readFile);
  const problems: string[] = [];
  const from = (variable: string, envGiven: boolean) => (envGiven ? variable : 'SIM_FILE');

  const options: SimulatedHouseOptions = { timeZone, startWall: realNow, seed: 1 };

  const outdoor = outdoorOptions({
    fixed_c: env.SIM_OUTDOOR_C ?? file.outdoor?.fixed_c,
    mean_c: env.SIM_OUTDOOR_MEAN_C ?? file.outdoor?.mean_c,
    swing_c: env.SIM_OUTDOOR_SWING_C ?? file.outdoor?.swing_c,
    coldest_hour: env.SIM_OUTDOOR_COLDEST_HOUR ?? file.outdoor?.coldest_hour,
  });
  if (outdoor !== undefined) options.outdoor = outdoor;

  const start = env.SIM_START ?? file.start;
  if (start !== undefined) options.startWall = startWall(start, timeZone);

  const rooms = roomsOf(env.SIM_ROOM_C, file.room_c);
  if (rooms !== undefined) {
    const heat = new Set(zones.zones.filter((z) => z.kind === 'heat').map((z) => z.name));
    for (const name of Object.keys(rooms.zones ?? {})) {
      if (!heat.has(name)) problems.push(`${from('SIM_ROOM_C', env.SIM_ROOM_C !== undefined)}: room_c names ${name}, which is not a heat zone in ZONES_FILE`);
    }
    options.initial = rooms;
  }

  const scale = env.SIM_HEAT_LOSS_SCALE ?? file.heat_loss_scale;
  if (scale !== undefined) options.heatLossScale = scale;
  const offsetS = env.SIM_CLOCK_OFFSET ?? file.clock_offset_s;
  if (offsetS !== undefined) options.startWall += Math.round(offsetS * 1000);
  if (options.startWall < 0) problems.push(`${from('SIM_CLOCK_OFFSET', env.SIM_CLOCK_OFFSET !== undefined)}: the simulated clock would start before 1970`);
  const step = env.SIM_CLOCK_STEP ?? file.clock_step;
  if (step !== undefined) options.clockStep = { afterMs: step.after_s * 1000, byMs: step.by_s * 1000 };

  if (problems.length > 0) throw new ConfigError(problems);
  return options;
}

function readSimFile(path: string, readFile: (path: string) => string): SimFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFile(path));
  } catch (err) {
    throw new ConfigError([`SIM_FILE: cannot read ${path}: ${(err as Error).message}`]);
  }
  const parsed = SimFile.safeParse(raw);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `SIM_FILE: ${describeIssues([i])}`));
  return parsed.data;
}

/** A fixed temperature wins; any profile field gives a day of mean ± swing, coldest at coldest_hour. */
function outdoorOptions(o: { fixed_c: number | undefined; mean_c: number | undefined; swing_c: number | undefined; coldest_hour: number | undefined }): OutdoorOptions | undefined {
  if (o.fixed_c !== undefined) return { fixedC: o.fixed_c };
  if (o.mean_c === undefined && o.swing_c === undefined && o.coldest_hour === undefined) return undefined;
  const mean = o.mean_c ?? (COLORADO_WINTER.minC + COLORADO_WINTER.maxC) / 2;
  const swing = o.swing_c ?? (COLORADO_WINTER.maxC - COLORADO_WINTER.minC) / 2;
  const coldest = o.coldest_hour ?? COLORADO_WINTER.coldestHour;
  // The high comes as long after the low as in the default winter day (8.5 h).
  const warmest = (coldest + COLORADO_WINTER.warmestHour - COLORADO_WINTER.coldestHour) % 24;
  return { minC: mean - swing, maxC: mean + swing, coldestHour: coldest, warmestHour: warmest };
}

function roomsOf(env: { all?: number | undefined; zones: Record<string, number> } | undefined, file: SimFile['room_c']): InitialTemperatures | undefined {
  // The variable replaces the file's field whole, as every other knob does.
  if (env !== undefined) {
    const zones = Object.fromEntries(Object.entries(env.zones).map(([k, v]) => [k, { roomC: v }]));
    return { ...(env.all === undefined ? {} : { roomC: env.all }), ...(Object.keys(zones).length === 0 ? {} : { zones }) };
  }
  if (file === undefined) return undefined;
  return typeof file === 'number' ? { roomC: file } : { zones: Object.fromEntries(Object.entries(file).map(([k, v]) => [k, { roomC: v }])) };
}

/** The start instant: as given with Z or an offset, else read on the site's clock (a DST gap's hour moves forward). */
export function startWall(text: string, timeZone: string): number {
  const m = START_PATTERN.exec(text);
  if (m === null) throw new ConfigError([`SIM_START: "${text}" is not a date and time`]);
  const [, y, mo, d, h, mi, s, zone] = m;
  const fields = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s ?? 0));
  if (zone === 'Z') return fields;
  if (zone !== undefined) {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    return fields - sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  const first = fields - utcOffsetMinutes(fields, timeZone) * 60_000;
  const second = fields - utcOffsetMinutes(first, timeZone) * 60_000;
  // A time in the spring-forward gap reads back as another time; then the first guess, an hour on, stands.
  return second + utcOffsetMinutes(second, timeZone) * 60_000 === fields ? second : first;
}
