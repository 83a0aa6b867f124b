import { test as base, expect } from '@playwright/test';
import { getJson } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startSite, type Site } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';
import { relayCommands } from './support/relay-commands.js';
import { screenshot } from './support/layout.js';

/**
 * The site's clock at 6x rather than the shared sites' 60x: two simulated minutes are 20 real
 * seconds, time enough to pick the time and see "until HH:MM" before the agent ends the override
 * (at 60x they would be gone in two). The agent counts an until override on its monotonic clock,
 * so stepping its wall clock (POST /api/sim/clock) would not end one; the clock runs there instead.
 */
const SIM_SPEED = 6;

const test = base.extend<{ baseURL: string }, { site: Site }>({
  site: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const site = await startSite({ agentEnv: { SIM_SPEED: String(SIM_SPEED) } });
      try {
        await use(site);
      } finally {
        await stopAndCleanUp(site.relay, site.agent);
      }
    },
    { scope: 'worker' },
  ],
  baseURL: async ({ site }, use) => {
    await use(site.url);
  },
});

interface ZoneView {
  zone: string;
  setpoint_c: number | null;
  override: { kind: string; setpoint_c: number; until: number | null } | null;
}

/** What the agent itself says of a zone (not the relay's copy, not the page). */
async function agentZone(site: Site, zone: string): Promise<ZoneView> {
  const got = await getJson<{ zones: ZoneView[] }>(site.agent.url, '/api/zones', site.apiKey);
  expect(got.status).toBe(200);
  const z = got.body.zones.find((x) => x.zone === zone);
  expect(z).toBeDefined();
  return z as ZoneView;
}

test.use({ viewport: { width: 1024, height: 600 }, hasTouch: true });

test('a setpoint held until two simulated minutes ahead shows "until HH:MM", and the tile goes back to its schedule by itself when the agent ends it', async ({ page, site }) => {
  test.setTimeout(180_000);
  await signIn(page, site.apiKey);
  await tile(page, 'Z5').tap();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Z5 /);
  const zoneTile = page.locator('[data-zone="Z5"]');
  await expect(zoneTile.locator('[data-part="reason"]')).toHaveCount(0);
  const scheduled = await agentZone(site, 'Z5');
  expect(scheduled.override).toBeNull();
  const scheduledText = await zoneTile.locator('[data-part="setpoint"]').textContent();

  // A marker in the page: still there at the end means the page was never reloaded.
  await page.evaluate('window.__sameDocument = true');

  // The first whole site minute at least two simulated minutes ahead, on the site's clock.
  const system = await getJson<{ updated_at: number; time_zone: string }>(site.agent.url, '/api/system', site.apiKey);
  const until = Math.ceil((system.body.updated_at + 2 * 60_000) / 60_000) * 60_000;
  const hhmm = new Intl.DateTimeFormat('en-US', { timeZone: system.body.time_zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(until);

  await page.getByLabel('Hold').selectOption({ label: 'until a time' });
  await page.getByLabel('Until (site time)').fill(hhmm);
  const asked = page.getByLabel('Setpoint asked for');
  const before = Number((await asked.textContent())?.replace('°', ''));
  await page.getByRole('button', { name: 'Raise setpoint' }).tap();

  // The tile says what holds it and until when, once the Pi confirmed.
  const reason = zoneTile.locator('[data-part="reason"]');
  await expect(reason).toHaveText(`◆ ${before + 1}° until ${hhmm}`);
  await screenshot(page, 'override-until-held-kiosk-1024');
  const sent = (await relayCommands(site)).find((c) => c.body.type === 'setpoint' && c.body.zone === 'Z5');
  expect(sent?.body).toMatchObject({ type: 'setpoint', override: 'until', until });
  const held = await agentZone(site, 'Z5');
  expect(held.override).toMatchObject({ kind: 'until', until });

  // No touch, no reload: the agent ends the override at its time and the tile follows.
  await expect(reason).toHaveCount(0, { timeout: 90_000 });
  const after = await agentZone(site, 'Z5');
  expect(after.override).toBeNull();
  expect(after.setpoint_c).toBe(scheduled.setpoint_c);
  await expect(zoneTile.locator('[data-part="setpoint"]')).toHaveText(scheduledText ?? '');
  // Back on the site's clock at or after the time it was held to.
  const ended = await getJson<{ updated_at: number }>(site.agent.url, '/api/system', site.apiKey);
  expect(ended.body.updated_at).toBeGreaterThanOrEqual(until);
  expect(await page.evaluate('window.__sameDocument')).toBe(true);
  await screenshot(page, 'override-until-ended-kiosk-1024');
});
