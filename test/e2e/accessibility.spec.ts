import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';
import { SCREENS, screenshot } from './support/layout.js';

/** Serious and critical findings of axe-core on the page as it stands, one line each. */
async function seriousFindings(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')})`);
}

for (const screen of SCREENS) {
  test.describe(`at ${screen.width}x${screen.height}`, () => {
    test.use({ viewport: { width: screen.width, height: screen.height }, hasTouch: screen.kiosk });

    test('axe-core finds nothing serious on the sign-in, the dashboard (away panel open too) or a zone page', async ({ page, site }) => {
      await page.goto('/');
      await expect(page.getByLabel('API key')).toBeVisible();
      expect(await seriousFindings(page)).toEqual([]);
      await signIn(page, site.apiKey);
      await expect(page.getByRole('list', { name: 'Zones' }).getByRole('link')).toHaveCount(14);
      expect(await seriousFindings(page)).toEqual([]);
      await page.getByRole('button', { name: /^Away: / }).click();
      await expect(page.getByRole('region', { name: 'Away or home' })).toBeVisible();
      expect(await seriousFindings(page)).toEqual([]);
      await page.getByRole('button', { name: 'Close' }).click();
      await tile(page, 'Z2').click();
      await expect(page.getByRole('figure', { name: 'History of Z2' }).locator('figcaption')).toHaveText(/^Day: /);
      expect(await seriousFindings(page)).toEqual([]);
    });
    test('axe-core finds nothing serious on the schedules, a zone schedule, events, settings (PIN keypad open too) or the PIN lock', async ({ page, site }) => {
      await signIn(page, site.apiKey);
      const h1 = page.getByRole('heading', { level: 1 });
      const nav = (name: string) => page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name });
      await nav('Schedules').click();
      await expect(page.getByRole('list', { name: 'Week' })).toBeVisible();
      expect(await seriousFindings(page), 'schedules').toEqual([]);
      await page.goto('/#/zones/Z3/schedule');
      await expect(h1).toHaveText(/^Schedule.*Z3/);
      await expect(page.getByRole('list', { name: 'Week' })).toBeVisible();
      expect(await seriousFindings(page), 'zone schedule').toEqual([]);
      await nav('Events').click();
      await expect(h1).toHaveText(/Events/);
      expect(await seriousFindings(page), 'events').toEqual([]);
      await nav('Settings').click();
      await expect(h1).toHaveText('Settings');
      expect(await seriousFindings(page), 'settings').toEqual([]);
      await page.getByRole('button', { name: 'Set PIN' }).click();
      await expect(page.getByRole('group', { name: 'New PIN: keypad' })).toBeVisible();
      expect(await seriousFindings(page), 'settings, PIN keypad').toEqual([]);
      for (const round of ['New PIN', 'New PIN again']) {
        for (const d of '1234') await page.getByRole('group', { name: `${round}: keypad` }).getByRole('button', { name: d, exact: true }).click();
        await page.getByRole('button', { name: round === 'New PIN' ? 'Next' : 'Save PIN' }).click();
      }
      await page.getByRole('button', { name: 'Lock now' }).click();
      await expect(page.getByRole('list', { name: 'Zones' })).toBeVisible();
      await nav('Settings').click();
      await expect(h1).toHaveText('Enter the PIN');
      expect(await seriousFindings(page), 'unlock').toEqual([]);
      // The light theme, chosen, on every size (the panels are dark unless so chosen).
      for (const d of '1234') await page.getByRole('group', { name: 'PIN: keypad' }).getByRole('button', { name: d, exact: true }).click();
      await page.getByRole('button', { name: 'Unlock' }).click();
      await expect(h1).toHaveText('Settings');
      await page.getByRole('button', { name: 'Light', exact: true }).click();
      await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
      expect(await seriousFindings(page), 'settings, light').toEqual([]);
      await screenshot(page, `settings-light-${screen.name}`);
      await nav('Dashboard').click();
      await expect(page.getByRole('list', { name: 'Zones' }).getByRole('link')).toHaveCount(14);
      expect(await seriousFindings(page), 'dashboard, light').toEqual([]);
      await screenshot(page, `dashboard-light-${screen.name}`);
    });
  });
}
