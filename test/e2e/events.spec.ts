import { readFileSync } from 'node:fs';
import { AxeBuilder } from '@axe-core/playwright';
import type { Download, Page } from '@playwright/test';
import { EventsReply, HistoryReply, type EventEntry, type HistoryPoint } from '@boiler/shared';
import { test, expect, type Site } from './support/site.js';
import { signIn } from './support/sign-in.js';
import { SCREENS, expectUsableLayout, screenshot } from './support/layout.js';
import { commandAndWait } from './support/relay-commands.js';
import { getJson } from '../support/agent-process.js';
import { parseCsv } from '../support/csv.js';

// Issue 13, Must show 3: the events page filtered by zone and type shows what the relay's API
// answers for the same filter, and the CSV files it downloads (the log's and a zone's history)
// hold the API's rows for the same filter. Against a real agent and relay, in Chromium.

test.beforeAll(async ({ site }) => {
  // Commands through the relay, so the log holds COMMAND events with a sender and a result.
  await commandAndWait(site, { type: 'setpoint', zone: 'Z2', setpoint_c: 21.5, override: 'next_change' });
  await commandAndWait(site, { type: 'zone_mode', zone: 'Z3', mode: 'OFF' });
});

test.afterAll(async ({ site }) => {
  // The site is shared by the worker's specs: Z3 back on its schedule, as the others expect it.
  await commandAndWait(site, { type: 'zone_mode', zone: 'Z3', mode: 'AUTO' });
});

async function relayEvents(site: Site, query: string): Promise<EventEntry[]> {
  const got = await getJson(site.url, `/api/events?${query}`, site.apiKey);
  expect(got.status, query).toBe(200);
  return EventsReply.parse(got.body).events;
}

/** Every event the relay's JSON has for a filter, paged with before_seq as a client would. */
async function allRelayEvents(site: Site, filter: URLSearchParams): Promise<EventEntry[]> {
  const q = new URLSearchParams(filter);
  q.set('limit', '2000');
  const all: EventEntry[] = [];
  for (;;) {
    const page = await relayEvents(site, q.toString());
    all.push(...page);
    if (page.length < 2000) return all;
    q.set('before_seq', String((page[page.length - 1] as EventEntry).seq));
  }
}

async function openEvents(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Events' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Events' })).toBeVisible();
}

/** A filter chosen and the log's rows read for it: until the list is no longer busy, the rows shown are the last filter's. */
async function filterTo(page: Page, choice: { zone?: string; type?: string }): Promise<void> {
  if (choice.zone !== undefined) await page.getByLabel('Zone').selectOption(choice.zone);
  if (choice.type !== undefined) await page.getByLabel('Type').selectOption({ label: choice.type });
  await expect(page.getByRole('region', { name: 'Event log' })).toHaveAttribute('aria-busy', 'false');
}

/** The seqs of the log's rows as shown, top to bottom. */
async function shownSeqs(page: Page): Promise<number[]> {
  const rows = page.getByRole('region', { name: 'Event log' }).locator('tbody tr');
  return (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq'))))) as number[];
}

/** A downloaded CSV: its rows after the header, the header, and the byte order mark checked. */
function readCsv(path: string): { header: string[]; rows: string[][] } {
  const bytes = readFileSync(path);
  expect([...bytes.subarray(0, 3)], 'UTF-8 byte order mark').toEqual([0xef, 0xbb, 0xbf]);
  const [header, ...rows] = parseCsv(bytes.subarray(3).toString('utf8'));
  return { header: header ?? [], rows };
}

async function download(page: Page, name: string | RegExp): Promise<Download> {
  const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name }).click()]);
  return file;
}

const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));

test('the log filtered by zone and type shows the relay API’s events for that filter, paged back, commands with who sent them', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  await openEvents(page);
  await expect(page.getByRole('main').getByText('Times are the site’s, America/Denver')).toBeVisible();
  const log = page.getByRole('region', { name: 'Event log' });

  // Commands for Z2: the one sent above, with who sent it and how it ended.
  await filterTo(page, { zone: 'Z2', type: 'Commands' });
  await expect(log.locator('tbody tr').first()).toBeVisible();
  await expect(log.locator('tbody tr').first()).toContainText(/sent by api-key@127\.0\.0\.1 · succeeded/);
  let seqs = await shownSeqs(page);
  let api = await relayEvents(site, `zone=Z2&event=COMMAND&before_seq=${(seqs[0] as number) + 1}&limit=${seqs.length}`);
  expect(seqs).toEqual(api.map((e) => e.seq));
  expect(api.every((e) => e.zone === 'Z2' && e.event === 'COMMAND')).toBe(true);

  // Z1's samples: the relay's, as many as there are yet (up to a page).
  await filterTo(page, { zone: 'Z1', type: 'Samples' });
  await expect(log.locator('tbody tr').first()).toHaveAttribute('data-seq', /\d+/);
  await expect(log.locator('tbody tr td:nth-child(2)').first()).toHaveText('Z1');
  seqs = await shownSeqs(page);
  api = await relayEvents(site, `zone=Z1&event=SAMPLE&before_seq=${(seqs[0] as number) + 1}&limit=50`);
  expect(seqs).toEqual(api.map((e) => e.seq).slice(0, seqs.length));
  expect(api.every((e) => e.zone === 'Z1' && e.event === 'SAMPLE')).toBe(true);

  // Every zone's samples: a full page, then the next one below it with "Older events".
  await expect.poll(async () => (await relayEvents(site, 'event=SAMPLE&limit=120')).length, { timeout: 60_000 }).toBe(120);
  await filterTo(page, { zone: '' });
  await expect(log.locator('tbody tr')).toHaveCount(50);
  seqs = await shownSeqs(page);
  api = await relayEvents(site, `event=SAMPLE&before_seq=${(seqs[0] as number) + 1}&limit=50`);
  expect(seqs).toEqual(api.map((e) => e.seq));
  // (The end of the list coming into view may fetch a page more by itself: the rows are compared whatever their count.)
  await log.getByRole('button', { name: 'Older events' }).click();
  await expect.poll(async () => (await shownSeqs(page)).length).toBeGreaterThanOrEqual(100);
  await expect(log.getByRole('button', { name: 'Loading…' })).toHaveCount(0);
  const paged = await shownSeqs(page);
  expect(paged.length % 50).toBe(0);
  expect(paged.slice(0, 50)).toEqual(seqs);
  const older = await relayEvents(site, `event=SAMPLE&before_seq=${seqs[49] as number}&limit=${paged.length - 50}`);
  expect(paged).toEqual([...seqs, ...older.map((e) => e.seq)]);
  // Newest first.
  expect([...paged].sort((a, b) => b - a)).toEqual(paged);

  // The default type, all but samples, site-wide: the relay's same filter, newest first.
  await filterTo(page, { zone: '', type: 'All but samples' });
  await expect(log.locator('tbody tr').first()).toBeVisible();
  await expect.poll(async () => (await shownSeqs(page)).length).toBeGreaterThan(2);
  seqs = await shownSeqs(page);
  api = await relayEvents(site, `event=ON,OFF,ALERT,COMMAND&before_seq=${(seqs[0] as number) + 1}&limit=${seqs.length}`);
  expect(seqs).toEqual(api.map((e) => e.seq));
  expect(api.some((e) => e.event === 'COMMAND')).toBe(true);

  // The commands view: the relay's list, who sent each and the result.
  await page.getByRole('button', { name: 'Commands sent' }).click();
  const commands = page.getByRole('region', { name: 'Commands sent' });
  await expect(commands.locator('tbody tr').filter({ hasText: 'zone mode · Z3 · mode OFF' })).toContainText(/api-key@127\.0\.0\.1.*succeeded/);
  await expect(commands.locator('tbody tr').filter({ hasText: /setpoint · Z2/ })).toContainText('succeeded');
});

test('the downloaded CSVs hold the relay API’s rows for the same filter: the log’s and a zone’s history', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  await openEvents(page);
  // Z2: a command and the switch it made, at least.
  await filterTo(page, { zone: 'Z2', type: 'All but samples' });
  const log = page.getByRole('region', { name: 'Event log' });
  await expect(log.locator('tbody tr td:nth-child(2)').first()).toHaveText('Z2');

  const file = await download(page, 'Download CSV');
  expect(file.suggestedFilename()).toMatch(/^events-Z2-ON_OFF_ALERT_COMMAND-\d{4}-\d\d-\d\d\.csv$/);
  const { header, rows } = readCsv(await file.path());
  expect(header).toEqual(['seq', 'time_utc', 'time_local (America/Denver)', 'source', 'zone', 'event', 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duration_s', 'detail']);
  expect(rows.length).toBeGreaterThan(1);
  expect(rows.some((r) => r[5] === 'COMMAND')).toBe(true);
  // The API's rows for the same filter, up to the newest the file holds (the log grows meanwhile).
  const json = await allRelayEvents(site, new URLSearchParams({ zone: 'Z2', event: 'ON,OFF,ALERT,COMMAND', before_seq: String(Number(rows[0]?.[0]) + 1) }));
  expect(rows.map((r) => Number(r[0]))).toEqual(json.map((e) => e.seq));
  expect(rows.map((r) => [Date.parse(r[1] as string), Date.parse(r[2] as string), r[3], r[4], r[5]])).toEqual(json.map((e) => [e.ts, e.ts, e.source, e.zone, e.event]));
  expect(rows.map((r) => [num(r[6]), num(r[7]), num(r[8]), num(r[9]), num(r[10])])).toEqual(json.map((e) => [e.room_c, e.pipe_c, e.outdoor_c, e.setpoint_c ?? null, e.duration_s]));
  expect(rows.map((r) => (r[11] === '' ? null : (r[11] as string).replace(/^'(?=[=+\-@\t\r])/, '')))).toEqual(json.map((e) => e.detail));
  // The site's wall clock in the local column: Denver is UTC-7 or UTC-6.
  expect(rows.every((r) => /-0[67]:00$/.test(r[2] as string))).toBe(true);

  // A zone's history, for the range its chart shows.
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).click();
  await page.getByRole('list', { name: 'Zones' }).getByRole('link', { name: /^Z1 / }).click();
  const link = page.getByRole('link', { name: 'History CSV' });
  await expect(link).toBeVisible();
  const href = new URL((await link.getAttribute('href')) ?? '');
  expect(href.pathname).toBe('/api/zones/Z1/history.csv');
  const apiHistory = async (): Promise<HistoryPoint[]> => {
    const got = await getJson(site.url, `/api/zones/Z1/history?${href.searchParams.toString()}`, site.apiKey);
    expect(got.status).toBe(200);
    return HistoryReply.parse(got.body).points;
  };
  // The chart's window ends at the site's now: a sample still on its way may land in it, so the
  // file is compared with the API's answer when that answer was the same before and after it.
  let compared = false;
  for (let attempt = 0; attempt < 5 && !compared; attempt++) {
    const before = await apiHistory();
    const history = await download(page, 'History CSV');
    const after = await apiHistory();
    if (JSON.stringify(before) !== JSON.stringify(after)) continue;
    expect(history.suggestedFilename()).toMatch(/^history-Z1-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv$/);
    const csv = readCsv(await history.path());
    expect(csv.header).toEqual(['time_utc', 'time_local (America/Denver)', 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duty (0-1)']);
    expect(after.length).toBeGreaterThan(0);
    expect(csv.rows.map((r) => [Date.parse(r[0] as string), Date.parse(r[1] as string), num(r[2]), num(r[3]), num(r[4]), num(r[5]), num(r[6])])).toEqual(
      after.map((p) => [p.ts, p.ts, p.room_c, p.pipe_c, p.outdoor_c, p.setpoint_c ?? null, p.duty]),
    );
    compared = true;
  }
  expect(compared, 'the history held still across a download').toBe(true);
});

for (const screen of SCREENS) {
  test.describe(`at ${screen.width}x${screen.height}`, () => {
    test.use({ viewport: { width: screen.width, height: screen.height }, hasTouch: screen.kiosk });

    test('the events page fits, its controls apart and large enough, axe clean; the zone page with its History CSV fits too', async ({ page, site }) => {
      await signIn(page, site.apiKey);
      await openEvents(page);
      // Everything, samples too: a full page and the button for the next.
      await filterTo(page, { type: 'Everything' });
      const log = page.getByRole('region', { name: 'Event log' });
      await expect(log.locator('tbody tr')).toHaveCount(50);
      await expect(log.getByRole('button', { name: 'Older events' })).toBeVisible();
      await expectUsableLayout(page, screen);
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
      await screenshot(page, `events-${screen.name}`);

      await page.getByRole('button', { name: 'Commands sent' }).click();
      await expect(page.getByRole('region', { name: 'Commands sent' }).locator('tbody tr').first()).toBeVisible();
      await expectUsableLayout(page, screen);
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
      await screenshot(page, `events-commands-${screen.name}`);

      // The zone page's History CSV sits in its title line without crowding it.
      await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Dashboard' }).click();
      await page.getByRole('list', { name: 'Zones' }).getByRole('link', { name: /^Z1 / }).click();
      await expect(page.getByRole('link', { name: 'History CSV' })).toBeVisible();
      await expectUsableLayout(page, screen);
      await screenshot(page, `events-zone-history-csv-${screen.name}`);
    });
  });
}
