import { test, expect } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';

test('a zone page draws the zone history from the relay, for a day and for a week', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  await tile(page, 'Z1').click();
  const chart = page.getByRole('figure', { name: 'History of Z1' });
  await expect(chart).toBeVisible();
  // The simulator runs at 60x, so the replica holds hours of samples within a minute or two.
  await expect(chart.locator('figcaption')).toHaveText(/^Day: \d+ points, room -?\d+ to -?\d+ °F$/);
  await expect(chart.locator('canvas')).toBeVisible();
  const box = await chart.locator('canvas').boundingBox();
  expect(box?.width ?? 0).toBeGreaterThan(200);

  await chart.getByRole('button', { name: 'Week' }).click();
  await expect(chart.getByRole('button', { name: 'Week' })).toHaveAttribute('aria-pressed', 'true');
  await expect(chart.locator('figcaption')).toHaveText(/^Week: \d+ points, room/);
});
