import { utcOffsetMinutes } from '@boiler/shared';

/** How the simulated weather behaves; all temperatures °C, hours in site time (0 to 24). */
export interface OutdoorOptions {
  /** The pre-dawn low. */
  minC?: number;
  /** The afternoon high. */
  maxC?: number;
  /** When the low comes, just before a winter dawn. */
  coldestHour?: number;
  /** When the high comes, mid-afternoon. */
  warmestHour?: number;
  /** Holds the outdoor temperature here instead of following the day (a cold snap). */
  fixedC?: number;
}

/** A clear Colorado winter day at altitude: a deep radiative low, a strong solar high. */
export const COLORADO_WINTER: Required<Omit<OutdoorOptions, 'fixedC'>> = {
  minC: -15,
  maxC: 5,
  coldestHour: 6.5,
  warmestHour: 15,
};

const HOUR_MS = 3_600_000;
const DAY_HOURS = 24;

/**
 * Outdoor temperature over the site's day: a half cosine rising from the low to the high,
 * and a longer half cosine falling back overnight, so both ends are smooth turning points.
 */
export class OutdoorWeather {
  private readonly minC: number;
  private readonly maxC: number;
  private readonly coldestHour: number;
  private readonly warmestHour: number;
  private fixedC: number | null;
  // The UTC offset changes only on the hour (DST), so one Intl lookup per hour is enough.
  private offsetHour = Number.NaN;
  private offsetMs = 0;

  constructor(
    private readonly timeZone: string,
    options: OutdoorOptions = {},
  ) {
    this.minC = options.minC ?? COLORADO_WINTER.minC;
    this.maxC = options.maxC ?? COLORADO_WINTER.maxC;
    this.coldestHour = options.coldestHour ?? COLORADO_WINTER.coldestHour;
    this.warmestHour = options.warmestHour ?? COLORADO_WINTER.warmestHour;
    this.fixedC = options.fixedC ?? null;
    if (!(this.minC <= this.maxC)) throw new RangeError('outdoor minC must not exceed maxC');
    const inDay = (h: number) => h >= 0 && h < DAY_HOURS;
    if (!(inDay(this.coldestHour) && inDay(this.warmestHour) && this.coldestHour !== this.warmestHour)) {
      throw new RangeError('outdoor hours need two different hours in [0, 24)');
    }
  }

  /** Holds the outdoor temperature (a cold snap), or with null returns to the day cycle. */
  hold(celsius: number | null): void {
    this.fixedC = celsius;
  }

  /** The held temperature, or null while following the day. */
  held(): number | null {
    return this.fixedC;
  }

  /** Outdoor temperature at a wall-clock instant, °C. */
  at(wallMs: number): number {
    return this.fixedC ?? this.dayCycleAt(this.siteHour(wallMs));
  }

  /** The day cycle at a site-time hour of day (0 to 24), °C. The high may come before the low on the clock face (a night shift of weather). */
  dayCycleAt(hour: number): number {
    const mid = (this.minC + this.maxC) / 2;
    const amplitude = (this.maxC - this.minC) / 2;
    const sinceLow = (((hour - this.coldestHour) % DAY_HOURS) + DAY_HOURS) % DAY_HOURS;
    const rise = (this.warmestHour - this.coldestHour + DAY_HOURS) % DAY_HOURS;
    if (sinceLow <= rise) return mid - amplitude * Math.cos((Math.PI * sinceLow) / rise);
    const fall = DAY_HOURS - rise;
    return mid + amplitude * Math.cos((Math.PI * (sinceLow - rise)) / fall);
  }

  private siteHour(wallMs: number): number {
    const hourBucket = Math.floor(wallMs / HOUR_MS);
    if (hourBucket !== this.offsetHour) {
      this.offsetHour = hourBucket;
      this.offsetMs = utcOffsetMinutes(hourBucket * HOUR_MS, this.timeZone) * 60_000;
    }
    const local = wallMs + this.offsetMs;
    const msOfDay = ((local % (DAY_HOURS * HOUR_MS)) + DAY_HOURS * HOUR_MS) % (DAY_HOURS * HOUR_MS);
    return msOfDay / HOUR_MS;
  }
}
