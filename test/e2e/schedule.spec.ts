import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { cToF, toCelsius, type ScheduleEntry, type WeeklySchedule } from '@boiler/shared';
import type { Locator, Page } from '@playwright/test';
import { getJson } from '../support/agent-process.js';
import { test, expect, type Site } from './support/site.js';
import { signIn } from './support/sign-in.js';
import { commandAndWait, relayCommands } from './support/relay-commands.js';
import { SCREENSHOT_DIR, SCREENS, expectUsableLayout, screenshot } from './support/layout.js';

// Touch and mouse both: the drag is made once with each.
test.use({ hasTouch: true });

/** A week as the agent has it now (its own read API, not the relay's copy). */
async function agentSchedule(site: Site, zone: string): Promise<WeeklySchedule | null> {
  const got = await getJson<{ schedule: WeeklySchedule }>(site.agent.url, `/api/schedules/${zone}`);
  return got.status === 200 ? got.body.schedule : null;
}

function setpoint(entry: ScheduleEntry | undefined): number {
  if (entry === undefined || !('setpoint_c' in entry)) throw new Error('expected a setpoint entry');
  return entry.setpoint_c;
}

/** A day as the editor writes it: its start carried in at 00:00 when it has no switch point there. */
function standAlone(day: ScheduleEntry[], carried: number): ScheduleEntry[] {
  return day[0]?.at === '00:00' ? day : [{ at: '00:00', setpoint_c: carried }, ...day];
}

/** The x on a day's bar for a time of day, and the bar's middle height. */
async function barPoint(bar: Locator, minutes: number): Promise<{ x: number; y: number }> {
  const box = await bar.boundingBox();
  if (box === null) throw new Error('bar not drawn');
  return { x: box.x + (minutes / 1440) * box.width, y: box.y + box.height / 2 };
}

async function centre(el: Locator): Promise<{ x: number; y: number }> {
  const box = await el.boundingBox();
  if (box === null) throw new Error(`${el.toString()} not drawn`);
  return { x: Math.round(box.x + box.width / 2), y: Math.round(box.y + box.height / 2) };
}

/** A finger drag through Chromium's real touch input (pointer events of type touch follow from it). */
async function touchDrag(page: Page, from: { x: number; y: number }, toX: number): Promise<void> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x: from.x, y: from.y }] });
  for (let i = 1; i <= 8; i++) {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x: Math.round(from.x + ((toX - from.x) * i) / 8), y: from.y }] });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

async function openSchedule(page: Page, zone: string): Promise<void> {
  await page.goto(`/#/zones/${zone}/schedule`);
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(new RegExp(`^Schedule: ${zone} `));
  await expect(page.getByRole('list', { name: 'Week' })).toBeVisible();
}

/** The last command's trail on the page has reached "succeeded" (the Pi confirmed it). */
async function expectConfirmed(scope: Locator): Promise<void> {
  await expect(scope.getByRole('list', { name: 'Command states' }).getByRole('listitem').last()).toHaveText('succeeded', { timeout: 30_000 });
}

test('a week edited by touch, mouse and ±, Monday copied to Tuesday–Friday, saved as one schedule_set the Pi confirms; then a preset saved, applied to two zones and deleted', async ({ page, site }) => {
  const defaults = await agentSchedule(site, 'default');
  expect(defaults).not.toBeNull();
  if (defaults === null) return;
  // The reference site's default Monday, which the edits below start from.
  expect(defaults.mon.map((e) => e.at)).toEqual(['06:00', '08:30', '17:00', '22:30']);
  expect(await agentSchedule(site, 'Z3')).toBeNull(); // Z3 follows the default
  // Commands from here on only: other specs on this worker's site send commands of their own (a zone
  // held on a flat week for a test is a schedule_set too).
  const earlier = new Set((await relayCommands(site)).map((c) => c.id));
  const sentHere = async () => (await relayCommands(site)).filter((c) => !earlier.has(c.id));

  await signIn(page, site.apiKey);
  // From the zone page's link, as the owner would get there.
  await page.getByRole('link', { name: /^Z3 / }).click();
  await page.getByRole('link', { name: 'Schedule', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Schedule: Z3 /);
  await expect(page.getByText('Follows the default schedule; an edit gives it a week of its own.')).toBeVisible();

  await page.getByRole('button', { name: /^Edit Monday: / }).click();
  const monday = page.getByRole('list', { name: 'Week' }).getByRole('listitem').first();
  const bar = monday.locator('.bar');

  // A tap on the 06:00–08:30 block selects it; its handles appear.
  const inBlock = await barPoint(bar, 7 * 60);
  await page.touchscreen.tap(Math.round(inBlock.x), Math.round(inBlock.y));
  const start = page.getByRole('slider', { name: 'Monday block 2 start' });
  const end = page.getByRole('slider', { name: 'Monday block 2 end' });
  await expect(start).toHaveAttribute('aria-valuetext', '06:00');
  await expect(end).toHaveAttribute('aria-valuetext', '08:30');

  // By finger: the start dragged to about 06:40 lands on 06:45.
  await touchDrag(page, await centre(start), Math.round((await barPoint(bar, 6 * 60 + 40)).x));
  await expect(start).toHaveAttribute('aria-valuetext', '06:45');
  // By mouse: the end dragged to about 09:08 lands on 09:15.
  const endAt = await centre(end);
  await page.mouse.move(endAt.x, endAt.y);
  await page.mouse.down();
  await page.mouse.move((await barPoint(bar, 9 * 60 + 8)).x, endAt.y, { steps: 6 });
  await page.mouse.up();
  await expect(end).toHaveAttribute('aria-valuetext', '09:15');
  await expect(page.getByRole('group', { name: /^Block 2, 06:45 to 09:15, / })).toBeVisible();

  // With ±: block 4 (17:00) starts half an hour earlier and one degree warmer.
  await page.getByRole('button', { name: 'Block 4 starts 15 minutes earlier' }).click();
  await page.getByRole('button', { name: 'Block 4 starts 15 minutes earlier' }).click();
  await page.getByRole('button', { name: 'Block 4 raise' }).click();
  const warmer = Math.round(cToF(setpoint(defaults.mon[2]))) + 1;
  await expect(page.getByRole('group', { name: `Block 4, 16:30 to 22:30, ${warmer}°` })).toBeVisible();

  // The same kind of edge move as the drags, by the keyboard on a handle.
  await page.getByRole('button', { name: /^Select block 2,/ }).click();
  await start.focus();
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('ArrowLeft');
  await expect(start).toHaveAttribute('aria-valuetext', '06:45');

  await page.getByRole('button', { name: 'Copy to Mon–Fri' }).click();
  await expect(page.getByText('Not sent: changes go to the Pi when you save.')).toBeVisible();
  expect((await sentHere()).filter((c) => c.body.type === 'schedule_set')).toHaveLength(0);

  const carriedIntoMonday = setpoint(defaults.sun[defaults.sun.length - 1]);
  const expectedMonday: ScheduleEntry[] = [
    { at: '00:00', setpoint_c: carriedIntoMonday },
    { at: '06:45', setpoint_c: setpoint(defaults.mon[0]) },
    { at: '09:15', setpoint_c: setpoint(defaults.mon[1]) },
    { at: '16:30', setpoint_c: Math.round(toCelsius(warmer, 'F') * 100) / 100 },
    { at: '22:30', setpoint_c: setpoint(defaults.mon[3]) },
  ];
  const expected: WeeklySchedule = {
    sun: standAlone(defaults.sun, setpoint(defaults.sat[defaults.sat.length - 1])),
    mon: expectedMonday,
    tue: expectedMonday,
    wed: expectedMonday,
    thu: expectedMonday,
    fri: expectedMonday,
    sat: standAlone(defaults.sat, setpoint(defaults.fri[defaults.fri.length - 1])),
  };

  // A look at the zone page loses nothing and sends nothing: the draft is still there on return.
  const shown = (e: ScheduleEntry) => `${e.at} ${Math.round(cToF(setpoint(e)))}°`;
  await page.getByRole('link', { name: '← Z3' }).click();
  await page.getByRole('link', { name: 'Schedule', exact: true }).click();
  await expect(page.getByRole('button', { name: `Edit Thursday: ${expectedMonday.map(shown).join(', ')}` })).toBeVisible();
  await expect(page.getByText('Not sent: changes go to the Pi when you save.')).toBeVisible();
  expect((await sentHere()).filter((c) => c.body.type === 'schedule_set')).toHaveLength(0);

  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expectConfirmed(page.getByRole('region', { name: 'Changes' }));
  const sent = (await sentHere()).filter((c) => c.body.type === 'schedule_set');
  expect(sent).toHaveLength(1);
  expect(sent[0]?.body).toEqual({ type: 'schedule_set', zone: 'Z3', schedule: expected });
  expect(sent[0]?.state).toBe('succeeded');
  expect(await agentSchedule(site, 'Z3')).toEqual(expected);
  await expect(page.getByText('A week of its own.')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Save', exact: true })).toBeDisabled();

  // After a reload the page reads the week back from the relay.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Schedule: Z3 /);
  for (const day of ['Monday', 'Tuesday', 'Friday'] as const) {
    await expect(page.getByRole('button', { name: `Edit ${day}: ${expectedMonday.map(shown).join(', ')}` })).toBeVisible();
  }
  await expect(page.getByText('A week of its own.')).toBeVisible();

  // A preset: saved from this week, applied to Z5 and Z6, deleted.
  await page.getByLabel('Preset name').fill('Ski week');
  await page.getByRole('button', { name: 'Save this week as a preset' }).click();
  const presets = page.getByRole('list', { name: 'Presets' });
  await expect(presets.getByRole('listitem')).toHaveText([/^Ski week/]);
  await expectConfirmed(page.getByRole('region', { name: 'Other zones and presets' }));
  await page.getByRole('checkbox', { name: /^Z5 / }).check();
  await page.getByRole('checkbox', { name: /^Z6 / }).check();
  await page.getByRole('region', { name: 'Other zones and presets' }).screenshot({ path: join(SCREENSHOT_DIR, 'schedule-presets-desktop.png') });
  await page.getByRole('button', { name: 'Apply preset Ski week to chosen zones' }).click();
  await expect.poll(() => agentSchedule(site, 'Z5')).toEqual(expected);
  expect(await agentSchedule(site, 'Z6')).toEqual(expected);
  await expectConfirmed(page.getByRole('region', { name: 'Other zones and presets' }));
  // Delete takes a second tap to confirm; the first alone sends nothing.
  await page.getByRole('button', { name: 'Delete preset Ski week' }).click();
  expect((await sentHere()).filter((c) => c.body.type === 'preset_delete')).toHaveLength(0);
  await page.getByRole('button', { name: 'Confirm: delete preset Ski week' }).click();
  await expect(presets).toHaveCount(0);
  await expect.poll(async () => (await getJson<{ presets: unknown[] }>(site.agent.url, '/api/presets')).body.presets).toEqual([]);

  const asked = await sentHere();
  expect(asked.filter((c) => c.body.type === 'preset_save').map((c) => c.body)).toEqual([{ type: 'preset_save', name: 'Ski week', schedule: expected }]);
  expect(asked.filter((c) => c.body.type === 'preset_apply').map((c) => c.body)).toEqual([{ type: 'preset_apply', name: 'Ski week', zones: ['Z5', 'Z6'] }]);
  expect(asked.filter((c) => c.body.type === 'preset_delete')).toHaveLength(1);
  expect(asked.filter((c) => c.body.type === 'schedule_set')).toHaveLength(1);
});

test('the schedule page at each screen size: usable, axe-clean, with now and the next change on today', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  for (const screen of SCREENS) {
    await page.setViewportSize({ width: screen.width, height: screen.height });
    await openSchedule(page, 'Z2');
    await expect(page.getByText(/^Now \d\d:\d\d: .*\(site time\)$/)).toBeVisible();
    // A block selected, so its handles are drawn too; seen from the top of the page, then whole.
    await page.getByRole('button', { name: /^Select block 2,/ }).click();
    await expect(page.getByRole('slider').first()).toBeVisible();
    await page.evaluate('window.scrollTo(0, 0)');
    await screenshot(page, `schedule-${screen.name}`);
    await page.screenshot({ path: join(SCREENSHOT_DIR, `schedule-${screen.name}-whole.png`), fullPage: true });
    await expectUsableLayout(page, screen);
    const axe = await new AxeBuilder({ page }).analyze();
    expect(axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`)).toEqual([]);
  }
  // The water heater: an on/off zone, its blocks on or off.
  await page.setViewportSize({ width: 1280, height: 800 });
  await openSchedule(page, 'Z14');
  await expect(page.getByRole('button', { name: /^Edit Monday: 00:00 (On|Off)/ })).toBeVisible();
  await screenshot(page, 'schedule-onoff-desktop');
  await page.goto('/#/schedules');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Schedule: Default schedule');
  await screenshot(page, 'schedule-default-desktop');
});

test('on the 7-inch panel a vertical swipe that starts on a day bar scrolls the page and edits nothing', async ({ page, site }) => {
  await page.setViewportSize({ width: 800, height: 480 });
  await signIn(page, site.apiKey);
  await openSchedule(page, 'Z4');
  const monday = page.getByRole('button', { name: /^Edit Monday: / });
  const before = await monday.getAttribute('aria-label');
  await monday.click();
  // A block of Monday's (the day being edited) selected, so its bar is the editable one.
  await page.getByRole('button', { name: /^Select block 3,/ }).click();
  await page.evaluate('window.scrollTo(0, 0)');
  const bar = page.getByRole('list', { name: 'Week' }).getByRole('listitem').first().locator('.bar');
  const from = await barPoint(bar, 12 * 60);
  const cdp = await page.context().newCDPSession(page);
  const x = Math.round(from.x);
  const y0 = Math.round(from.y);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y: y0 }] });
  for (let dy = 10; dy <= 150; dy += 10) await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y0 - dy }] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
  await expect.poll(() => page.evaluate('window.scrollY')).toBeGreaterThan(0);
  expect(await monday.getAttribute('aria-label')).toBe(before);
  await expect(page.getByRole('button', { name: 'Save', exact: true })).toBeDisabled();
});

test('a week sent to two other zones, a zone sent back to the default schedule, and the default schedule edited', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  await openSchedule(page, 'Z9');
  await page.getByRole('button', { name: /^Edit Wednesday: / }).click();
  await page.getByRole('button', { name: 'Block 1 raise' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expectConfirmed(page.getByRole('region', { name: 'Changes' }));
  const z9 = await agentSchedule(site, 'Z9');
  expect(z9).not.toBeNull();

  // The same week to Z10 and Z11: one schedule_set each, with Z9's week.
  await page.getByRole('checkbox', { name: /^Z10 / }).check();
  await page.getByRole('checkbox', { name: /^Z11 / }).check();
  await page.getByRole('button', { name: 'Send this week to chosen zones' }).click();
  await expect.poll(() => agentSchedule(site, 'Z10')).toEqual(z9);
  await expect.poll(() => agentSchedule(site, 'Z11')).toEqual(z9);
  const sent = (await relayCommands(site)).filter((c) => c.body.type === 'schedule_set' && ['Z10', 'Z11'].includes(c.body.zone));
  expect(sent.map((c) => c.body).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)))).toEqual([
    { type: 'schedule_set', zone: 'Z10', schedule: z9 },
    { type: 'schedule_set', zone: 'Z11', schedule: z9 },
  ]);

  // Back to the default: an empty week, after which the agent has no week of Z9's own.
  await page.getByRole('button', { name: 'Follow the default schedule' }).click();
  await expect(page.getByText('Follows the default schedule once saved; an edit gives it a week of its own.')).toBeVisible();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expect(page.getByText('Follows the default schedule; an edit gives it a week of its own.')).toBeVisible();
  expect(await agentSchedule(site, 'Z9')).toBeNull();

  // The default week: Sunday's first block one degree cooler; Z9, following it, shows the change.
  await page.getByRole('combobox', { name: 'Schedule of' }).selectOption('default');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Schedule: Default schedule');
  const before = await agentSchedule(site, 'default');
  await page.getByRole('button', { name: /^Edit Sunday: / }).click();
  await page.getByRole('button', { name: 'Block 1 lower' }).click();
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await expectConfirmed(page.getByRole('region', { name: 'Changes' }));
  await expect.poll(async () => (await agentSchedule(site, 'default'))?.sun).not.toEqual(before?.sun);
  const after = await agentSchedule(site, 'default');
  const sunday = (after?.sun ?? []).map((e) => `${e.at} ${Math.round(cToF(setpoint(e)))}°`).join(', ');
  expect((await relayCommands(site)).filter((c) => c.body.type === 'schedule_set' && c.body.zone === 'default').map((c) => c.body)).toEqual([{ type: 'schedule_set', zone: 'default', schedule: after }]);
  await page.getByRole('combobox', { name: 'Schedule of' }).selectOption('Z9');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Schedule: Z9 /);
  await expect(page.getByRole('button', { name: `Edit Sunday: ${sunday}` })).toBeVisible();
});

test('a week another app changes shows on an open schedule page by itself, no reload: the relay pushes the schedules', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  await openSchedule(page, 'Z12');
  const own = await agentSchedule(site, 'Z12');
  const base = own ?? (await agentSchedule(site, 'default'));
  if (base === null) throw new Error('the agent has no default schedule');
  await expect(page.getByRole('button', { name: /^Edit Wednesday: / })).toBeVisible();
  // From another client, straight to the relay: nothing on this page sent it or waits for it.
  const wed: ScheduleEntry[] = [
    { at: '00:00', setpoint_c: 16 },
    { at: '06:30', setpoint_c: 22 },
    { at: '21:00', setpoint_c: 16 },
  ];
  const expected = page.getByRole('button', { name: `Edit Wednesday: ${wed.map((e) => `${e.at} ${Math.round(cToF(setpoint(e)))}°`).join(', ')}` });
  await expect(expected).toHaveCount(0);
  await commandAndWait(site, { type: 'schedule_set', zone: 'Z12', schedule: { ...base, wed } });
  await expect(expected).toBeVisible();
  // The shared site as it was: Z12 back on the default schedule (an empty week) if it followed it.
  const empty = { sun: [], mon: [], tue: [], wed: [], thu: [], fri: [], sat: [] };
  await commandAndWait(site, { type: 'schedule_set', zone: 'Z12', schedule: own ?? empty });
});
