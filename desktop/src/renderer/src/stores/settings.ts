import { defineStore } from 'pinia';
import { ref, watch, type Ref } from 'vue';
import { z } from 'zod';
import { DEFAULT_UNIT, TemperatureUnit } from '@boiler/shared';
import { kioskFlag } from '../kiosk/flag';
import { hashPin, StoredPin } from '../kiosk/pin';

/*
 * The viewer's display preferences, kept in this device's localStorage: nothing secret (never the
 * API key; the kiosk's PIN only as a salted hash, see kiosk/pin.ts). Each is parsed on the way in:
 * a value edited by hand or left by an older build falls back to its default.
 */

export const Theme = z.enum(['system', 'dark', 'light']);
export type Theme = z.infer<typeof Theme>;

/** The idle times a kiosk may dim after, in seconds (0: never). */
export const DIM_AFTER_CHOICES_S = [15, 30, 60, 120, 300, 600, 1800, 0] as const;
const DimAfter = z.literal(DIM_AFTER_CHOICES_S);
/** How bright a dimmed kiosk stays, in percent. */
export const DIM_BRIGHTNESS_CHOICES = [0, 5, 10, 20, 35, 50] as const;
const DimBrightness = z.literal(DIM_BRIGHTNESS_CHOICES);

const KEYS = {
  unit: 'boiler.unit',
  theme: 'boiler.theme',
  dimAfter: 'boiler.kiosk.dimAfterS',
  dimBrightness: 'boiler.kiosk.dimBrightness',
  pin: 'boiler.kiosk.pin',
} as const;

function read(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function write(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(key);
    else window.localStorage.setItem(key, value);
  } catch {
    // A browser that refuses storage keeps the choice for this page only.
  }
}

function json(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

/** A preference held in a ref and kept under `key`, parsed by `schema` on the way in. */
function stored<T>(key: string, schema: z.ZodType<T>, fallback: T, encode: (v: T) => string | null, decode: (s: string | null) => unknown): Ref<T> {
  const parsed = schema.safeParse(decode(read(key)));
  const value = ref(parsed.success ? parsed.data : fallback) as Ref<T>;
  watch(value, (v) => write(key, encode(v)));
  return value;
}

/** What a theme choice comes to on this screen: `system` follows the device, but a wall-panel-height screen stays dark (as before there was a choice). */
export function effectiveTheme(choice: Theme, prefersLight: boolean, tall: boolean): 'dark' | 'light' {
  if (choice !== 'system') return choice;
  return prefersLight && tall ? 'light' : 'dark';
}

/** The viewer's own preferences: °F by default, °C by choice; the theme; the kiosk's dimming and PIN. */
export const useSettingsStore = defineStore('settings', () => {
  const kiosk = kioskFlag(window.location.search);
  const unit = stored(KEYS.unit, TemperatureUnit, DEFAULT_UNIT, (u) => u, (s) => s);
  // A wall panel is dark unless its owner chose otherwise.
  const theme = stored<Theme>(KEYS.theme, Theme, kiosk ? 'dark' : 'system', (t) => t, (s) => s);
  const dimAfterS = stored<number>(KEYS.dimAfter, DimAfter, 120, String, (s) => (s === null ? null : Number(s)));
  const dimBrightness = stored<number>(KEYS.dimBrightness, DimBrightness, 10, String, (s) => (s === null ? null : Number(s)));
  const pin = stored<StoredPin | null>(KEYS.pin, StoredPin.nullable(), null, (p) => (p === null ? null : JSON.stringify(p)), json);

  function toggleUnit(): void {
    unit.value = unit.value === 'F' ? 'C' : 'F';
  }

  /** Keeps a new PIN (as a salted hash); throws on one that is not four to eight digits. */
  async function setPin(digits: string): Promise<void> {
    pin.value = await hashPin(digits);
  }

  function clearPin(): void {
    pin.value = null;
  }

  return { unit, theme, dimAfterS, dimBrightness, pin, toggleUnit, setPin, clearPin };
});
