import { test, expect } from './support/site.js';
import { SCREENS, expectInView, expectUsableLayout, screenshot } from './support/layout.js';
import { signIn } from './support/sign-in.js';

for (const screen of SCREENS) {
  test.describe(`at ${screen.width}x${screen.height}`, () => {
    test.use({ viewport: { width: screen.width, height: screen.height }, hasTouch: screen.kiosk });

    test('sign-in, dashboard and zone page fit the screen, controls apart and large enough', async ({ page, site }) => {
      await page.goto('/');
      await expect(page.getByLabel('API key')).toBeVisible();
      await expectUsableLayout(page, screen);
      await screenshot(page, `sign-in-${screen.name}`);

      await signIn(page, site.apiKey);
      const tiles = page.getByRole('list', { name: 'Zones' }).getByRole('link');
      await expect(tiles).toHaveCount(14);
      await expect(page.getByRole('status').filter({ hasText: 'Pi online' })).toBeVisible();
      await expectUsableLayout(page, screen);
      if (screen.kiosk) {
        for (const t of await tiles.all()) await expectInView(page, t);
      }
      await screenshot(page, `dashboard-${screen.name}`);

      await tiles.first().click();
      await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Z1 /);
      await expect(page.getByRole('button', { name: 'Raise setpoint' })).toBeVisible();
      await expectUsableLayout(page, screen);
      await screenshot(page, `zone-${screen.name}`);
    });
  });
}
