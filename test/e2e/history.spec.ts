import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AxeBuilder } from '@axe-core/playwright';
import { test as plain, type Page } from '@playwright/test';
import { ZoneStatsReply, EventsReply, cToF } from '@boiler/shared';
import { test, expect, startSite, type Site } from './support/site.js';
import { signIn, tile } from './support/sign-in.js';
import { screenshot } from './support/layout.js';
import { stopAndCleanUp } from '../support/processes.js';
import { seedZoneRuns, type ExpectedDay } from '../support/seed-runs.js';

test('a zone page draws the zone history from the relay, for a day and for a week', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  await tile(page, 'Z1').click();
  const chart = page.getByRole('figure', { name: 'History of Z1' });
  await expect(chart).toBeVisible();
  // The simulator runs at 60x, so the replica holds hours of samples within a minute or two.
  const caption = /^Day: \d+ points, room -?\d+ to -?\d+ °F, setpoint (\d+)(?: to (\d+))? °F$/;
  await expect(chart.locator('figcaption')).toHaveText(caption);
  await expect(chart.locator('canvas')).toBeVisible();

  // The setpoint line is the one recorded with the samples (a solid step line named "Setpoint"), not
  // the zone's setpoint now: the caption's range is made of setpoints the relay's history holds.
  const legend = chart.locator('.u-legend .u-series th');
  await expect(legend.filter({ hasText: /^Setpoint$/ })).toHaveCount(1);
  await expect(legend.filter({ hasText: 'Setpoint now' })).toHaveCount(0);
  const [, lo, hi] = caption.exec((await chart.locator('figcaption').textContent()) ?? '') ?? [];
  // Every setpoint recorded with Z1's samples (its SAMPLE events, paged back): a history bucket keeps
  // its last setpoint, so another bucketing than the chart's could miss a short one (away, at 50 °F).
  const setpointsF = new Set<number>();
  let before = '';
  for (let page = 0; page < 100; page++) {
    const got = EventsReply.parse(await relayGet(site, `/api/events?zone=Z1&event=SAMPLE&limit=2000${before}`)).events;
    for (const e of got) if (e.setpoint_c !== null && e.setpoint_c !== undefined) setpointsF.add(Math.round(cToF(e.setpoint_c)));
    if (got.length < 2000) break;
    before = `&before_seq=${got[got.length - 1]?.seq ?? 0}`;
  }
  expect(setpointsF.size, 'the relay records setpoints').toBeGreaterThan(0);
  for (const shown of [lo, hi ?? lo]) expect(setpointsF, `setpoint ${shown} °F in the caption`).toContain(Number(shown));
  const box = await chart.locator('canvas').boundingBox();
  expect(box?.width ?? 0).toBeGreaterThan(200);

  await chart.getByRole('button', { name: 'Week' }).click();
  await expect(chart.getByRole('button', { name: 'Week' })).toHaveAttribute('aria-pressed', 'true');
  await expect(chart.locator('figcaption')).toHaveText(/^Week: \d+ points, room/);
});

// ---- a month of history, with its stats ---------------------------------------------------

const TZ = 'America/Denver';
const SEEDED_DAYS = 28;

/** A site whose agent has "run" for four weeks: its database holds 28 days of Z1 before it starts. */
interface SeededSite extends Site {
  expected: ExpectedDay[];
  lastSeq: number;
}

async function startSeededSite(): Promise<SeededSite> {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-agent-'));
  // As the shared site: the simulated clock starts a day behind the real one, at 60x. The seeded
  // days end the site day before, samples every 5 minutes (inside the 30-day sample retention).
  const seeded = seedZoneRuns(join(dir, 'agent.db'), { zone: 'Z1', timeZone: TZ, before: Date.now() - 24 * 3600_000, days: SEEDED_DAYS, sampleEveryMs: 5 * 60_000 });
  const site = await startSite({ dir, agentEnv: { TIME_ZONE: TZ } });
  return { ...site, expected: seeded.expected, lastSeq: seeded.lastSeq };
}

const seededTest = plain.extend<{ seeded: SeededSite; baseURL: string }>({
  // Started for this test alone and stopped after it, so the other specs' site stays as it was.
  // eslint-disable-next-line no-empty-pattern
  seeded: async ({}, use) => {
    const site = await startSeededSite();
    try {
      await use(site);
    } finally {
      await stopAndCleanUp(site.relay, site.agent);
    }
  },
  baseURL: async ({ seeded }, use) => {
    await use(seeded.url);
  },
});

async function relayGet(site: Site, path: string): Promise<unknown> {
  const res = await fetch(`${site.url}${path}`, { headers: { authorization: `Bearer ${site.apiKey}` } });
  expect(res.status, path).toBe(200);
  return res.json();
}

/** As the panel writes a run time: "1h 35m", "45m", "40s". */
function duration(s: number): string {
  if (s < 60) return `${s}s`;
  const m = Math.round(s / 60);
  return m < 60 ? `${m}m` : `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

/** A site date as the panel's row header writes it: "Wed 2 Dec". */
function dayLabel(date: string): string {
  return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'short', day: 'numeric', month: 'short' }).format(new Date(`${date}T12:00:00Z`));
}

/** The stats table's rows as text: the header cell, then the numbers. */
async function tableRows(page: Page): Promise<Map<string, string[]>> {
  const table = page.getByRole('table', { name: /^Z1 per day/ });
  const rows = await table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c.textContent ?? '').replace(/\s+/g, ' ').trim())));
  return new Map(rows.map((cells) => [cells[0]!.replace(/ \(part\)$/, ''), cells.slice(1)]));
}

seededTest('a month of one zone’s history draws with its stats, the numbers those of its events', async ({ page, seeded }) => {
  seededTest.setTimeout(180_000);
  // Every seeded event on the relay before the page asks for it.
  await expect
    .poll(async () => ((await relayGet(seeded, '/health')) as { last_seq: number }).last_seq, { timeout: 60_000, intervals: [500] })
    .toBeGreaterThanOrEqual(seeded.lastSeq);

  await signIn(page, seeded.apiKey);
  await tile(page, 'Z1').click();
  const chart = page.getByRole('figure', { name: 'History of Z1' });
  await chart.getByRole('button', { name: 'Month' }).click();
  await expect(chart.getByRole('button', { name: 'Month' })).toHaveAttribute('aria-pressed', 'true');
  // Four weeks of 5-minute samples, thinned to about a point per pixel: hundreds of points.
  // The seeded weeks were logged without setpoints (gaps in its line); the live simulator's days have them.
  await expect(chart.locator('figcaption')).toHaveText(/^Month: \d{3,4} points, room \d+ to \d+ °F, setpoint \d+(?: to \d+)? °F$/);
  await expect(chart.locator('canvas')).toBeVisible();

  // The stats cover the chart's month: 30 or 31 site days, newest first.
  const table = page.getByRole('table', { name: /^Z1 per day, .* to .*, newest first \(site days, America\/Denver\)$/ });
  await expect(table).toBeVisible();
  await expect.poll(async () => table.locator('tbody tr').count()).toBeGreaterThanOrEqual(30);
  const headers = await table.locator('thead th').allTextContents();
  expect(headers.map((h) => h.trim())).toEqual(['Day', 'Calls', 'Runs', 'On', 'Avg run', 'Duty', 'Short']);

  // Each seeded day shows what was seeded, and its calls are the ON events the relay holds for it.
  const rows = await tableRows(page);
  const stats = ZoneStatsReply.parse(await relayGet(seeded, `/api/zones/Z1/stats?from=${Date.now() - 40 * 24 * 3600_000}&to=${Date.now()}`));
  for (const want of seeded.expected) {
    const label = dayLabel(want.date);
    const cells = rows.get(label);
    expect(cells, `a row for ${label}`).toBeDefined();
    const [calls, runs, on, avg, duty, short] = cells!;
    expect({ day: label, calls, runs, on, short }).toEqual({ day: label, calls: String(want.calls), runs: String(want.runs), on: duration(want.run_s), short: String(want.short_cycles) });
    expect(avg).toBe(duration(Math.round(want.run_s / want.runs)));
    expect(duty).toMatch(/^\d+ %$/);
    expect(Number(duty!.replace(' %', ''))).toBeGreaterThan(0);

    const day = stats.days.find((d) => d.date === want.date)!;
    const ons = EventsReply.parse(await relayGet(seeded, `/api/events?zone=Z1&event=ON&from=${day.start}&to=${day.end}&limit=2000`)).events;
    expect(Number(calls), `calls on ${label} against its ON events`).toBe(ons.filter((e) => e.source !== 'safety').length);
  }
  // The totals hold at least what was seeded (the live simulator adds its own runs on the last days).
  const totals = page.getByRole('region', { name: 'Per-day stats' }).getByLabel('Totals over the range');
  await expect(totals).toBeVisible();
  const total = async (term: string) => Number(await totals.locator('div').filter({ has: page.getByRole('term').getByText(term, { exact: true }) }).getByRole('definition').textContent());
  expect(await total('Calls')).toBeGreaterThanOrEqual(seeded.expected.reduce((n, d) => n + d.calls, 0));
  expect(await total('Short cycles')).toBeGreaterThanOrEqual(seeded.expected.reduce((n, d) => n + d.short_cycles, 0));

  // Looked at by a person: the zone page with its stats at the owner's laptop and the smallest wall panel.
  for (const [width, height] of [
    [1280, 800],
    [800, 480],
  ] as const) {
    await page.setViewportSize({ width, height });
    await table.scrollIntoViewIfNeeded();
    await screenshot(page, `zone-stats-${width}x${height}`);
    const scroll = (await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as [number, number];
    expect(scroll[0], `no horizontal scroll at ${width}x${height}`).toBeLessThanOrEqual(scroll[1]);
    // The panel in both themes (light on the laptop, dark on the wall panel): nothing serious for axe-core.
    const axe = await new AxeBuilder({ page }).include('section.stats-panel').analyze();
    const serious = axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
    expect(serious, `axe at ${width}x${height}`).toEqual([]);
  }

  // The stats follow the chart: a week back touches eight site days (the first in part).
  await chart.getByRole('button', { name: 'Week' }).click();
  await expect(chart.locator('figcaption')).toHaveText(/^Week: /);
  await expect(table.locator('tbody tr')).toHaveCount(8);
  await expect(table.locator('tbody tr').last().getByRole('rowheader')).toHaveText(/\(part\)$/);
});
