import { defineStore } from 'pinia';
import { ref, watch } from 'vue';
import { DEFAULT_UNIT, TemperatureUnit } from '@boiler/shared';

/** Where the chosen unit is kept: a display preference, nothing secret. */
const UNIT_KEY = 'boiler.unit';

function storedUnit(): TemperatureUnit {
  try {
    const parsed = TemperatureUnit.safeParse(window.localStorage.getItem(UNIT_KEY));
    return parsed.success ? parsed.data : DEFAULT_UNIT;
  } catch {
    return DEFAULT_UNIT;
  }
}

/** The viewer's own preferences: °F by default, °C by choice. */
export const useSettingsStore = defineStore('settings', () => {
  const unit = ref<TemperatureUnit>(storedUnit());
  watch(unit, (u) => {
    try {
      window.localStorage.setItem(UNIT_KEY, u);
    } catch {
      // A browser that refuses storage keeps the choice for this page only.
    }
  });
  function toggleUnit(): void {
    unit.value = unit.value === 'F' ? 'C' : 'F';
  }
  return { unit, toggleUnit };
});
