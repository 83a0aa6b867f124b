import { test, expect } from './support/site.js';

test('the relay serves the built UI, not its placeholder', async ({ page }) => {
  await page.goto('/');
  await expect(page).toHaveTitle('Boiler Controller');
  // The placeholder page says the UI "has not been built here yet"; the app mounts into #app.
  await expect(page.getByText('has not been built here yet')).toHaveCount(0);
  await expect(page.getByRole('heading', { name: 'Boiler Controller' })).toBeVisible();
});
