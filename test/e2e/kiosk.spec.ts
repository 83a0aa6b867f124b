import type { Page } from '@playwright/test';
import { test, expect } from './support/site.js';
import { tile } from './support/sign-in.js';
import { holdFlatWeek, relayCommands } from './support/relay-commands.js';
import { SCREENS, screenshot } from './support/layout.js';

// The wall panel: the app as the kiosk runs it (?kiosk=1), by touch at 800x480 unless said otherwise.
test.use({ viewport: { width: 800, height: 480 }, hasTouch: true });

/** The dimming layer while it is there (dim, or clear and taking the waking touch). */
const dimLayer = (page: Page) => page.locator('[data-kiosk="dim"]');

/** Signs in on the kiosk's address, as a person would. */
async function kioskSignIn(page: Page, key: string): Promise<void> {
  await page.goto('/?kiosk=1');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).tap();
  await expect(page.getByRole('list', { name: 'Zones' })).toBeVisible();
}

function pageLink(page: Page, name: string) {
  return page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name });
}

/** Settings: dim after 15 s (the shortest choice) at 10 % brightness. */
async function dimSoon(page: Page): Promise<void> {
  await pageLink(page, 'Settings').tap();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
  await page.getByLabel('Dim after').selectOption({ label: '15 seconds' });
  await page.getByLabel('Dimmed brightness').selectOption({ label: '10 %' });
}

/**
 * The idle time passes with no touch (the page's clock, installed by the test, jumps 16 s rather
 * than the test waiting them out), and the screen is dimmed; checks how dark.
 */
async function expectDimmed(page: Page): Promise<void> {
  await page.clock.fastForward(16_000);
  await expect(dimLayer(page)).toHaveClass(/\bdim\b/, { timeout: 10_000 });
  // 10 % brightness: a layer 90 % black over the page, once its fade is over.
  await expect(dimLayer(page)).toHaveCSS('background-color', 'rgba(0, 0, 0, 0.9)');
}

/** Taps the middle of a control as a finger would, whatever lies over it. */
async function tapAt(page: Page, name: string): Promise<void> {
  const box = await page.getByRole('button', { name }).boundingBox();
  expect(box).not.toBeNull();
  if (box !== null) await page.touchscreen.tap(box.x + box.width / 2, box.y + box.height / 2);
}

test('the kiosk keeps its habits: no pinch zoom, no overscroll or swipe-back, no selection on controls', async ({ page, site }) => {
  await kioskSignIn(page, site.apiKey);
  // Read in the page (a string: this file is typed without the DOM's library).
  const habits = (await page.evaluate(`(() => {
    const root = getComputedStyle(document.documentElement);
    const button = document.querySelector('button');
    return {
      viewport: document.querySelector('meta[name="viewport"]')?.content ?? '',
      touchAction: root.touchAction,
      overscroll: [root.overscrollBehaviorX, root.overscrollBehaviorY, getComputedStyle(document.body).overscrollBehaviorX],
      buttonSelect: button === null ? null : getComputedStyle(button).userSelect,
      theme: document.documentElement.dataset.theme,
    };
  })()`)) as { viewport: string; touchAction: string; overscroll: string[]; buttonSelect: string | null; theme: string };
  expect(habits.viewport).toContain('user-scalable=no');
  expect(habits.viewport).toContain('maximum-scale=1');
  expect(habits.touchAction).toBe('pan-x pan-y');
  expect(habits.overscroll).toEqual(['none', 'none', 'none']);
  expect(habits.buttonSelect).toBe('none');
  // Dark by default on the wall, though this browser prefers light.
  expect(habits.theme).toBe('dark');
});

test('after the idle time the screen dims; the tap that wakes it presses nothing; the next tap does', async ({ page, site }) => {
  // Z3 on one setpoint meanwhile: the site's clock runs 60x, and a switch point passing while the
  // screen dims would move the setpoint this test reads.
  const restore = await holdFlatWeek(site, 'Z3', 18);
  await page.clock.install();
  await kioskSignIn(page, site.apiKey);
  await dimSoon(page);
  await pageLink(page, 'Dashboard').tap();
  await tile(page, 'Z3').tap();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Z3 /);
  const asked = page.getByLabel('Setpoint asked for');
  const before = Number((await asked.textContent())?.replace('°', ''));
  expect(Number.isFinite(before)).toBe(true);
  const setpoints = async () => (await relayCommands(site)).filter((c) => c.body.type === 'setpoint' && c.body.zone === 'Z3');
  const sentBefore = (await setpoints()).length;

  await expectDimmed(page);
  await screenshot(page, 'kiosk-dimmed-zone-kiosk-800');
  // The first tap lands on +, under the dark layer: it wakes the screen and is gone.
  await tapAt(page, 'Raise setpoint');
  await expect(dimLayer(page)).toHaveCount(0);
  await expect(asked).toHaveText(`${before}°`);

  // The second tap is a tap on +: one command, one step up. Had the first tap counted, the relay
  // would hold two commands or one two steps up.
  await tapAt(page, 'Raise setpoint');
  await expect(asked).toHaveText(`${before + 1}°`);
  await expect.poll(async () => (await setpoints()).length, { timeout: 30_000 }).toBe(sentBefore + 1);
  await expect(page.locator('[data-zone="Z3"] [data-part="setpoint"]')).toHaveText(`set ${before + 1}°`, { timeout: 30_000 });
  const sent = await setpoints();
  expect(sent).toHaveLength(sentBefore + 1);
  const body = sent[0]?.body;
  expect(body?.type === 'setpoint' ? Math.round((body.setpoint_c * 9) / 5 + 32) : null).toBe(before + 1);
  await restore();
});

test('with a PIN set, settings and schedules are locked, the dashboard and zones open; the lock comes back when the screen dims', async ({ page, site }) => {
  await page.clock.install();
  await kioskSignIn(page, site.apiKey);
  await dimSoon(page);

  // The PIN, set by the keypad (the wall has no keyboard), typed twice.
  await page.getByRole('button', { name: 'Set PIN' }).tap();
  const keys = (label: string) => page.getByRole('group', { name: `${label}: keypad` });
  for (const d of '2468') await keys('New PIN').getByRole('button', { name: d, exact: true }).tap();
  await page.getByRole('button', { name: 'Next' }).tap();
  for (const d of '2468') await keys('New PIN again').getByRole('button', { name: d, exact: true }).tap();
  await page.getByRole('button', { name: 'Save PIN' }).tap();
  await expect(page.getByRole('status').filter({ hasText: 'PIN set.' })).toBeVisible();
  // Kept as a salted hash: the digits are nowhere in the page's storage, nor is the key.
  const storage = (await page.evaluate('JSON.stringify({ ...localStorage, ...sessionStorage })')) as string;
  expect(storage).toContain('PBKDF2');
  expect(storage).not.toContain('2468');
  expect(storage).not.toContain(site.apiKey);

  await page.getByRole('button', { name: 'Lock now' }).tap();
  await expect(page.getByRole('list', { name: 'Zones' })).toBeVisible();

  // Settings and schedules ask for the PIN; the address of either does too.
  // (Each by its address too: the unlock page stays for the next one, so the heading alone proves little.)
  const slash = '(/|%2F)';
  await pageLink(page, 'Settings').tap();
  await expect(page).toHaveURL(new RegExp(`#/unlock\\?next=${slash}settings$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Enter the PIN');
  await expect(page.getByRole('heading', { name: 'Settings' })).toHaveCount(0);
  await pageLink(page, 'Schedules').tap();
  await expect(page).toHaveURL(new RegExp(`#/unlock\\?next=${slash}schedules$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Enter the PIN');
  await page.goto('/?kiosk=1#/zones/Z2/schedule');
  await expect(page).toHaveURL(new RegExp(`#/unlock\\?next=${slash}zones${slash}Z2${slash}schedule$`));
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Enter the PIN');
  await expect(page.getByRole('list', { name: 'Week' })).toHaveCount(0);
  await screenshot(page, 'kiosk-unlock-kiosk-800');

  // The dashboard and a zone page stay open, controls and all.
  await pageLink(page, 'Dashboard').tap();
  await expect(page.getByRole('list', { name: 'Zones' }).getByRole('link')).toHaveCount(14);
  await tile(page, 'Z2').tap();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Z2 /);
  await expect(page.getByRole('button', { name: 'Raise setpoint' })).toBeEnabled();

  // A wrong PIN keeps it shut; the right one opens the page asked for.
  await pageLink(page, 'Settings').tap();
  for (const d of '1357') await keys('PIN').getByRole('button', { name: d, exact: true }).tap();
  await page.getByRole('button', { name: 'Unlock' }).tap();
  await expect(page.getByRole('alert')).toHaveText('That PIN is not right.');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Enter the PIN');
  for (const d of '2468') await keys('PIN').getByRole('button', { name: d, exact: true }).tap();
  await page.getByRole('button', { name: 'Unlock' }).tap();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');

  // Left open at the wall, the screen dims, leaves the settings and locks again.
  await expectDimmed(page);
  await expect(page.getByRole('list', { name: 'Zones' })).toBeAttached();
  await page.touchscreen.tap(400, 300);
  await expect(dimLayer(page)).toHaveCount(0);
  await pageLink(page, 'Settings').tap();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Enter the PIN');

  // A forgotten PIN: a wrong key clears nothing; the relay's API key clears it and opens Settings.
  await page.getByText('Forgot the PIN?').tap();
  await page.getByLabel("The relay's API key clears it").fill('not-the-key');
  await page.getByRole('button', { name: 'Clear the PIN' }).tap();
  await expect(page.getByRole('alert')).toHaveText('That key was not accepted.');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Enter the PIN');
  await page.getByLabel("The relay's API key clears it").fill(site.apiKey);
  await page.getByRole('button', { name: 'Clear the PIN' }).tap();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Settings');
  await expect(page.getByText(/^No PIN:/)).toBeVisible();
  expect((await page.evaluate('localStorage.getItem("boiler.kiosk.pin")')) as string | null).toBeNull();
});

for (const screen of SCREENS) {
  test.describe(`at ${screen.width}x${screen.height}`, () => {
    test.use({ viewport: { width: screen.width, height: screen.height }, hasTouch: screen.kiosk });

    test('screenshots: the settings page, and the dashboard dimmed; a mouse click wakes it too and presses nothing', async ({ page, site }) => {
      await page.clock.install();
      await page.goto('/?kiosk=1');
      await page.getByLabel('API key').fill(site.apiKey);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await expect(page.getByRole('list', { name: 'Zones' })).toBeVisible();
      await pageLink(page, 'Settings').click();
      await page.getByLabel('Dim after').selectOption({ label: '15 seconds' });
      await page.getByLabel('Dimmed brightness').selectOption({ label: '10 %' });
      await expect(page.getByText(/^Europe|^America|^UTC|^Asia|^Australia/)).toBeVisible();
      await screenshot(page, `kiosk-settings-${screen.name}`);
      await pageLink(page, 'Dashboard').click();
      await expect(page.getByRole('list', { name: 'Zones' }).getByRole('link')).toHaveCount(14);
      await expectDimmed(page);
      await screenshot(page, `kiosk-dimmed-${screen.name}`);
      // A click on a tile under the layer wakes the screen and opens nothing.
      const box = await tile(page, 'Z5').boundingBox();
      expect(box).not.toBeNull();
      if (box !== null) await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await expect(dimLayer(page)).toHaveCount(0);
      await expect(page.getByRole('list', { name: 'Zones' })).toBeVisible();
      expect(page.url()).toMatch(/#\/$/);
    });
  });
}
