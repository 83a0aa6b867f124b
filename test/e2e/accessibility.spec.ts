import { AxeBuilder } from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { test, expect } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';
import { SCREENS } from './support/layout.js';

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
  });
}
