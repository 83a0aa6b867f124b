import { test, expect } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';
import { relayCommands } from './support/relay-commands.js';
import { screenshot } from './support/layout.js';

// The kiosk: away and home by touch at the wall panel's smaller size.
test.use({ viewport: { width: 800, height: 480 }, hasTouch: true });

test('away and back home by touch: the command shows its way, the button changes only once the Pi confirmed', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  const toggle = page.getByRole('button', { name: /^Away: / });
  await expect(toggle).toHaveText('Away: off');
  // What the button and the command's trail show, in the order the page drew them.
  await page.evaluate(`(() => {
    window.__drawn = [];
    new MutationObserver(() => {
      const button = document.querySelector('.away-control .toggle')?.textContent?.trim() ?? '';
      const trail = document.querySelector('#away-panel [aria-label="Command states"]')?.textContent ?? '';
      window.__drawn.push({ button, trail });
    }).observe(document.body, { subtree: true, childList: true, characterData: true });
  })()`);
  const before = (await relayCommands(site)).filter((c) => c.body.type === 'away' || c.body.type === 'home').length;

  await toggle.tap();
  const panel = page.getByRole('region', { name: 'Away or home' });
  await panel.getByRole('button', { name: 'Set away' }).tap();
  const states = panel.getByRole('list', { name: 'Command states' }).getByRole('listitem');
  await expect(states.last()).toHaveText('succeeded');
  await expect(states.first()).toHaveText('queued');
  await expect(toggle).toHaveText('Away: on');
  await expect(page.getByRole('definition').filter({ hasText: /^on$/ })).toBeVisible();
  // A zone on its schedule now shows why it is off it.
  await expect(tile(page, 'Z1')).toHaveAccessibleName(/away/);
  await screenshot(page, 'away-on-kiosk-800');
  const drawn = (await page.evaluate('window.__drawn')) as { button: string; trail: string }[];
  const firstOn = drawn.findIndex((d) => d.button.startsWith('Away: on'));
  expect(firstOn).toBeGreaterThanOrEqual(0);
  expect(drawn[firstOn]?.trail).toContain('succeeded');

  await panel.getByRole('button', { name: 'Back home' }).tap();
  await expect(panel.getByText('Home', { exact: true })).toBeVisible();
  await expect(states.last()).toHaveText('succeeded');
  await expect(toggle).toHaveText('Away: off');
  await expect(tile(page, 'Z1')).not.toHaveAccessibleName(/away/);
  await panel.getByRole('button', { name: 'Close' }).tap();
  await expect(panel).toHaveCount(0);
  await expect(toggle).toBeFocused();

  // Counted at the relay: one away and one home, nothing more.
  const sent = (await relayCommands(site)).filter((c) => c.body.type === 'away' || c.body.type === 'home');
  expect(sent).toHaveLength(before + 2);
  expect(sent.slice(0, 2).map((c) => c.body.type)).toEqual(['home', 'away']);
});
