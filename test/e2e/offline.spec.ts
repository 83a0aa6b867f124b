import { test as base, expect } from '@playwright/test';
import { startAgent } from '../support/agent-process.js';
import { siteFixture, LINK_DEAD_AFTER_S, type Site } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';
import { executions } from '../support/compare.js';
import { screenshot } from './support/layout.js';

// This suite stops and restarts the agent, so it has a site of its own rather than the shared one.
const test = base.extend<{ baseURL: string }, { ownSite: Site }>({
  ownSite: siteFixture(),
  baseURL: async ({ ownSite }, use) => {
    await use(ownSite.url);
  },
});

test('with the agent stopped: offline banner with since, stale marks, a command shown queued across a reload and run once after the restart', async ({ page, ownSite }) => {
  test.setTimeout(180_000);
  await signIn(page, ownSite.apiKey);
  await expect(page.getByRole('status').filter({ hasText: 'Pi online' })).toBeVisible();

  const agent = ownSite.agent;
  await agent.stop();
  // Within LINK_DEAD_AFTER + 5 s of the agent going.
  const timeout = (LINK_DEAD_AFTER_S + 5) * 1000;
  await expect(page.getByRole('status').filter({ hasText: /^Pi offline since \d{2}:\d{2}/ })).toBeVisible({ timeout });
  await expect(tile(page, 'Z1')).toHaveAccessibleName(/stale/, { timeout });
  await expect(page.locator('[data-part="stale"]')).toHaveCount(14);
  // Looked at on the smaller wall panel too: the banner, its time and the stale marks side by side.
  await page.setViewportSize({ width: 800, height: 480 });
  await screenshot(page, 'dashboard-offline-kiosk-800');
  await page.setViewportSize({ width: 1280, height: 800 });
  await screenshot(page, 'dashboard-offline-desktop');

  await tile(page, 'Z5').click();
  await page.getByRole('button', { name: 'Off', exact: true }).click();
  const states = page.getByRole('list', { name: 'Command states' }).getByRole('listitem');
  await expect(states).toHaveText(['queued']);
  await expect(page.getByRole('button', { name: 'Off', exact: true })).toHaveAttribute('aria-pressed', 'false');

  // A reload keeps the session (its HttpOnly cookie; the key itself is kept nowhere): no sign-in
  // screen, and the command is still queued.
  await page.reload();
  await expect(page.getByLabel('API key')).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Z5 /);
  await expect(states).toHaveText(['queued']);
  await expect(page.getByRole('status').filter({ hasText: /^Pi offline since/ })).toBeVisible();
  const commands = (await page.evaluate('fetch("/api/commands?limit=10", { headers: { authorization: "Bearer ' + ownSite.apiKey + '" } }).then((r) => r.json())')) as {
    commands: { id: string; state: string; body: { type: string; zone?: string } }[];
  };
  const queued = commands.commands.filter((c) => c.body.type === 'zone_mode' && c.body.zone === 'Z5');
  expect(queued).toHaveLength(1);
  expect(queued[0]?.state).toBe('queued');
  const id = queued[0]?.id ?? '';

  // The agent back on its own database and port: the relay finds it and the command runs.
  const again = await startAgent({ dir: agent.dir, env: { ...agent.env, WS_PORT: String(agent.port) } });
  ownSite.agent = again;
  await expect(page.getByRole('status').filter({ hasText: 'Pi online' })).toBeVisible({ timeout: 60_000 });
  await expect(states.last()).toHaveText('succeeded', { timeout: 30_000 });
  await expect(page.getByRole('button', { name: 'Off', exact: true })).toHaveAttribute('aria-pressed', 'true');
  await expect(page.locator('[data-part="stale"]')).toHaveCount(0);
  expect(executions(again.dbPath, id)).toBe(1);

  // The relay itself gone: the page says so (the socket's close is its event) and keeps what it had, marked stale.
  await ownSite.relay.stop();
  await expect(page.getByRole('status').filter({ hasText: /^Relay unreachable/ })).toBeVisible();
  await expect(page.locator('[data-part="stale"]')).not.toHaveCount(0);
  await screenshot(page, 'zone-relay-unreachable-desktop');
});
