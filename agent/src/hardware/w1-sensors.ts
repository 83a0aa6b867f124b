import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { PlausibilityFilter, plausibilityOptionsSchema } from './plausibility.js';
import { WorkerDs18b20Driver, type Ds18b20Driver } from './w1-driver.js';
import type { Clock, SensorBus, SensorFault, SensorReading } from './types.js';

/** A 1-wire device id: family code, dash, 48-bit serial ("28-00000abcdef0"). */
export const w1DeviceIdSchema = z.string().regex(/^[0-9a-f]{2}-[0-9a-f]{12}$/, 'expected a 1-wire id like 28-00000abcdef0');

/** What the DS18B20 can measure at all. */
export const DS18B20_RANGE = { min: -55, max: 125 } as const;

/** The 1-wire section of the Pi's hardware file. */
export const w1SensorConfigSchema = z.object({
  /** Where the kernel lists 1-wire devices (every bus master's, unlike ds18b20-raspi's default). */
  w1Directory: z.string().min(1).default('/sys/bus/w1/devices'),
  /** Time allowed per sensor in a pass before the bus counts as hung. */
  readTimeoutMs: z.number().int().positive().default(2_000),
  /** What the place a sensor sits in can be, by sensor id; outside it is out_of_range. */
  places: z
    .record(
      w1DeviceIdSchema,
      z.object({ min: z.number(), max: z.number() }).refine((r) => r.min < r.max, 'min must be below max'),
    )
    .default({}),
  plausibility: plausibilityOptionsSchema.prefault({}),
});
export type W1SensorConfig = z.output<typeof w1SensorConfigSchema>;

export interface W1SensorDeps {
  clock: Clock;
  /** Default: ds18b20-raspi in a worker thread. */
  driver?: Ds18b20Driver;
}

/** Why a sensor gave no temperature. */
export type W1Fault = { fault: SensorFault; detail: string };

/**
 * DS18B20 sensors through ds18b20-raspi. The package answers only a number or null, so a null
 * is explained by reading the w1_slave text once more (when that read is clean, after a
 * transient CRC failure or the package's crc=00 mistake, its temperature is used). The 85 °C
 * power-on value, -127 °C, the part's and the place's ranges and impossible jumps are checked
 * here. readAll never throws.
 */
export class W1SensorBus implements SensorBus {
  private readonly plausibility: PlausibilityFilter;
  private readonly driver: Ds18b20Driver;

  constructor(
    private readonly config: W1SensorConfig,
    private readonly deps: W1SensorDeps,
  ) {
    this.plausibility = new PlausibilityFilter(config.plausibility);
    this.driver = deps.driver ?? new WorkerDs18b20Driver({ timeoutPerSensorMs: config.readTimeoutMs });
  }

  async readAll(ids: readonly string[]): Promise<Map<string, SensorReading>> {
    const unique = [...new Set(ids)];
    const faults = new Map<string, W1Fault>();
    const values = new Map<string, number>();
    try {
      await this.readInto(unique, faults, values);
    } catch (err) {
      // readInto catches what it expects; this is the backstop that keeps readAll from throwing.
      for (const id of unique) if (!values.has(id) && !faults.has(id)) faults.set(id, { fault: 'read_error', detail: messageOf(err) });
    }
    const at = this.deps.clock.now();
    const mono = this.deps.clock.monotonic();
    const out = new Map<string, SensorReading>();
    for (const id of unique) {
      const celsius = values.get(id);
      const fault = faults.get(id) ?? (celsius === undefined ? { fault: 'read_error', detail: 'no result' } : this.judge(id, celsius, mono));
      out.set(id, fault ? { ok: false, ...fault, at } : { ok: true, celsius: celsius as number, at });
    }
    return out;
  }

  close(): void {
    this.driver.close();
  }

  private async readInto(ids: readonly string[], faults: Map<string, W1Fault>, values: Map<string, number>): Promise<void> {
    const dir = this.config.w1Directory;
    const present: string[] = [];
    await Promise.all(
      ids.map(async (id) => {
        const missing = await this.whyMissing(id);
        if (missing) faults.set(id, { fault: 'missing', detail: missing });
        else present.push(id);
      }),
    );
    present.sort((a, b) => ids.indexOf(a) - ids.indexOf(b));
    let results: Array<number | null>;
    try {
      results = await this.driver.readC(dir, present);
    } catch (err) {
      for (const id of present) faults.set(id, { fault: 'read_error', detail: messageOf(err) });
      return;
    }
    await Promise.all(
      present.map(async (id, i) => {
        const celsius = results[i];
        if (typeof celsius === 'number') {
          values.set(id, celsius);
          return;
        }
        const explained = await this.explainNull(id);
        if ('celsius' in explained) values.set(id, explained.celsius);
        else faults.set(id, explained);
      }),
    );
  }

  /** Why a sensor cannot be read at all, or undefined when its w1_slave file is there. */
  private async whyMissing(id: string): Promise<string | undefined> {
    if (!w1DeviceIdSchema.safeParse(id).success) return `"${id}" is not a 1-wire device id`;
    const device = join(this.config.w1Directory, id);
    try {
      await access(join(device, 'w1_slave'));
      return undefined;
    } catch {
      try {
        await access(device);
        return `${device} has no w1_slave file (is the w1_therm module loaded?)`;
      } catch {
        return `${id} is not on the 1-wire bus (no ${device})`;
      }
    }
  }

  /**
   * ds18b20-raspi returns null for a failed CRC, an all-zero scratchpad, an empty or unreadable
   * file, and also (its test is `crc=00` anywhere) for a good reading whose CRC happens to be 00,
   * about one temperature in 256. The text tells them apart.
   */
  private async explainNull(id: string): Promise<W1Fault | { celsius: number }> {
    let text: string;
    try {
      text = await readFile(join(this.config.w1Directory, id, 'w1_slave'), 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ENOENT' ? { fault: 'missing', detail: `${id} left the bus during the read` } : { fault: 'read_error', detail: messageOf(err) };
    }
    return classifyW1Slave(text);
  }

  /** The checks on a temperature the package returned; undefined when it is good. */
  private judge(id: string, celsius: number, mono: number): W1Fault | undefined {
    if (celsius === 85) {
      // 85.000 is also a real temperature on a boiler pipe: believe it only from a sensor that was just near it.
      const last = this.plausibility.lastAccepted(id);
      if (last === undefined || Math.abs(last - 85) > 2) {
        return { fault: 'power_on', detail: '85 °C is the power-on value: the sensor reset and never converted' };
      }
    }
    if (celsius === -127) return { fault: 'disconnected', detail: '-127 °C: the sensor did not answer' };
    if (celsius < DS18B20_RANGE.min || celsius > DS18B20_RANGE.max) {
      return { fault: 'out_of_range', detail: `${celsius} °C is outside what a DS18B20 measures (${DS18B20_RANGE.min}..${DS18B20_RANGE.max} °C)` };
    }
    const place = this.config.places[id];
    if (place && (celsius < place.min || celsius > place.max)) {
      return { fault: 'out_of_range', detail: `${celsius} °C is outside what this sensor's place can be (${place.min}..${place.max} °C)` };
    }
    const verdict = this.plausibility.check(id, celsius, mono);
    return verdict.ok ? undefined : { fault: 'implausible_jump', detail: verdict.detail };
  }
}

/**
 * Explains a w1_slave text, as the kernel's w1_therm writes it:
 *   72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 *   72 01 4b 46 7f ff 0e 10 57 t=23125
 * A temperature is returned only for a YES line with a real scratchpad and a t= value.
 */
export function classifyW1Slave(text: string): W1Fault | { celsius: number } {
  if (text.trim() === '') return { fault: 'disconnected', detail: 'empty w1_slave: the sensor did not answer the convert command' };
  const [first = '', second = ''] = text.split('\n');
  const m = /^((?:[0-9a-f]{2} ){9}): crc=([0-9a-f]{2}) (YES|NO)\s*$/i.exec(first);
  if (!m) return { fault: 'read_error', detail: `unrecognised w1_slave text: ${JSON.stringify(text.slice(0, 80))}` };
  const bytes = (m[1] ?? '').trim().split(' ');
  if (bytes.every((b) => b.toLowerCase() === 'ff')) return { fault: 'disconnected', detail: 'scratchpad all ones: nothing answered on the bus' };
  if (bytes.every((b) => b === '00')) return { fault: 'disconnected', detail: 'scratchpad all zeros: data line held low or the sensor unpowered' };
  if (m[3]?.toUpperCase() !== 'YES') return { fault: 'crc', detail: `CRC check failed (${first.slice(first.indexOf('crc=')).trim()})` };
  const t = /t=(-?\d+)\s*$/.exec(second);
  if (!t) return { fault: 'read_error', detail: 'no t= value after a good CRC' };
  return { celsius: Number(t[1]) / 1000 };
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
