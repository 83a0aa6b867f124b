import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { useSettingsStore } from '../stores/settings';
import { useLinkStore } from '../stores/link';
import type { SignInResult } from '../backend/backend';
import { kioskFlag } from './flag';
import { pinMatches } from './pin';

/**
 * The wall panel's state: whether the page runs as a kiosk, whether its screen is dimmed, and the
 * PIN lock. The lock holds wherever a PIN is set on this device (see kiosk/pin.ts for how casual
 * it is); an unlock lasts until the screen dims, the lock is put on again, or the page reloads.
 */
export const useKioskStore = defineStore('kiosk', () => {
  const settings = useSettingsStore();
  const enabled = kioskFlag(window.location.search);
  const dimmed = ref(false);
  const unlocked = ref(false);
  const locked = computed(() => settings.pin !== null && !unlocked.value);

  /** Whether `pin` opens the lock; opens it if so. */
  async function unlock(pin: string): Promise<boolean> {
    const stored = settings.pin;
    if (stored === null) return true;
    const ok = await pinMatches(pin, stored);
    if (ok) unlocked.value = true;
    return ok;
  }

  function lock(): void {
    unlocked.value = false;
  }

  /** A PIN just set by someone who was let in: they stay in until the lock is put on again. */
  async function setPin(pin: string): Promise<void> {
    await settings.setPin(pin);
    unlocked.value = true;
  }

  /**
   * A forgotten PIN: whoever holds the API key is the owner, so a sign-in with it clears the PIN.
   * A passer-by without the key can do nothing here (not even sign the screen out).
   */
  async function clearPinWithKey(key: string): Promise<SignInResult> {
    const result = await useLinkStore().signIn(key);
    if (result === 'signed_in') {
      settings.clearPin();
      unlocked.value = true;
    }
    return result;
  }

  return { enabled, dimmed, unlocked, locked, unlock, lock, setPin, clearPinWithKey };
});
