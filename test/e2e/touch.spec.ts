import { toCelsius } from '@boiler/shared';
import { test, expect } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';
import { holdFlatWeek, relayCommands } from './support/relay-commands.js';

// The wall panel: a touch screen at its smaller size.
test.use({ viewport: { width: 800, height: 480 }, hasTouch: true });

test('a vertical swipe that starts on the setpoint control scrolls the page and sends no command', async ({ page, site }) => {
  // Z4 held at one setpoint all week for the test (seen once: a switch point passed mid-test, 63° became
  // 69°). A schedule_set, not a setpoint command: the one setpoint command below stays the only one.
  const restore = await holdFlatWeek(site, 'Z4', 18);
  const earlier = new Set((await relayCommands(site)).map((c) => c.id));

  await signIn(page, site.apiKey);
  await tile(page, 'Z4').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Z4 /);
  const asked = page.getByLabel('Setpoint asked for');
  await expect(asked).toHaveText('64°'); // 18 °C, the flat week's
  const before = Number((await asked.textContent())?.replace('°', ''));
  expect(Number.isFinite(before)).toBe(true);
  const raise = page.getByRole('button', { name: 'Raise setpoint' });
  const box = await raise.boundingBox();
  expect(box).not.toBeNull();
  if (box === null) return;
  expect(await page.evaluate('window.scrollY')).toBe(0);

  // A finger down on +, then up the screen in small steps, then lifted: real touch events
  // through Chromium's input pipeline, so its gesture detection decides tap or scroll.
  const cdp = await page.context().newCDPSession(page);
  const x = Math.round(box.x + box.width / 2);
  const y0 = Math.round(box.y + box.height / 2);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y: y0 }] });
  for (let dy = 10; dy <= 150; dy += 10) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y0 - dy }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();

  await expect.poll(() => page.evaluate('window.scrollY')).toBeGreaterThan(0);
  await expect(asked).toHaveText(`${before}°`);

  // Then one real tap on +: had the swipe counted as a tap, this command would carry two steps
  // (or a second command would follow); it carries one, and it is the only one for the zone.
  await raise.tap();
  await expect(asked).toHaveText(`${before + 1}°`);
  // The relay's list, not the page's trail alone: the schedule_set above also ended "succeeded".
  const setpoints = async () => (await relayCommands(site)).filter((c) => !earlier.has(c.id) && c.body.type === 'setpoint' && c.body.zone === 'Z4');
  await expect.poll(async () => (await setpoints()).map((c) => c.state), { timeout: 20_000 }).toEqual(['succeeded']);
  await expect(page.getByRole('list', { name: 'Command states' }).getByRole('listitem').last()).toHaveText('succeeded');
  const sent = await setpoints();
  expect(sent).toHaveLength(1);
  const body = sent[0]?.body;
  expect(body?.type === 'setpoint' ? body.setpoint_c : null).toBeCloseTo(toCelsius(before + 1, 'F'), 1);
  await restore();
});
