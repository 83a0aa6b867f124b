import { expect, type Page } from '@playwright/test';

/** Signs in as a person would: the key typed into its labelled field, then the button. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.goto('/');
  await page.getByLabel('API key').fill(key);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('list', { name: 'Zones' })).toBeVisible();
}

/** A zone's tile on the dashboard: a link named for the zone ("Z3 Kitchen, 64 °F, ..."). */
export function tile(page: Page, zone: string) {
  return page.getByRole('link', { name: new RegExp(`^${zone} `) });
}
