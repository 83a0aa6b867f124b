/**
 * The UI's rows of DESIGN.md's speed table, measured in Debian's Chromium (headless, a fresh
 * profile per launch, a fresh context per navigation):
 *
 * - the renderer's JavaScript gzipped at level 9, from the real build (electron-vite into
 *   out/renderer, as the relay serves it), beside the floor of a one-paragraph Vue app built by
 *   the same Vite and Vue plugin: what any Vue 3 app ships;
 * - navigation to the dashboard's 14 tiles drawn, against a real agent (simulator, 14 zones) and a
 *   real relay, signed in, from navigation start to just after the frame that shows all 14
 *   readings, beside the floor of a static page of the same 14 tiles (no script) from a plain
 *   server on loopback: what navigating and painting cost in this browser here;
 * - a month of 14 zones charted: fourteen of the renderer's HistoryChart components switched to
 *   Month at once, their answers (thinned by the relay to about a point per pixel) fetched
 *   beforehand, beside uPlot alone drawing the same answers at the same size with default
 *   options: the least any uPlot chart of those points costs, so the ratio is what the component
 *   adds (Vue, the columns with gaps and units, axes, legend, the shaded on-time).
 *
 * Suite `ui` of `npm run bench` (`npm run bench -- --only ui`); alone: `npx tsx bench/ui.ts`.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type CDPSession } from '@playwright/test';
import buildUi from '../test/e2e/support/build-ui.js';
import { TEST_API_KEY } from '../test/support/agent-process.js';
import { buildPage, jsFiles, total, type Sized } from './ui/bundle.js';
import { startBenchServer, startUiSite, type BenchServer, type UiSite } from './ui/site.js';
import { navigateOnce, signInCookies, type NavigationRun } from './ui/navigation.js';
import { chartRounds, type ChartRounds } from './ui/charts.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../test/support/chromium.js';
import { quantile, type BenchRow } from './table.js';

const root = join(import.meta.dirname, '..');
const KIB = 1024;
const BUNDLE_TARGET_KIB = 250;
const NAVIGATION_TARGET_MS = 500;
const CHARTS_TARGET_MS = 300;
const NAVIGATIONS = 7;
const CHART_ROUNDS = 7;


const p50 = (xs: readonly number[]) => quantile(xs, 0.5);
const worst = (xs: readonly number[]) => Math.max(...xs);

function bundleRows(built: readonly Sized[], floor: readonly Sized[], loaded: readonly Sized[]): BenchRow[] {
  const gz = total(built, 'gzip') / KIB;
  return [
    {
      suite: 'ui',
      name: `renderer JavaScript gzipped -9 (all ${built.length} .js in out/renderer)`,
      value: gz,
      unit: 'KiB',
      floor: { name: 'a one-paragraph Vue app, same Vite KiB', value: total(floor, 'gzip') / KIB },
      target: { text: `≤ ${BUNDLE_TARGET_KIB} KiB`, met: gz <= BUNDLE_TARGET_KIB },
    },
    { suite: 'ui', name: `JavaScript the dashboard loaded (${loaded.length} files), gzipped -9`, value: total(loaded, 'gzip') / KIB, unit: 'KiB' },
    { suite: 'ui', name: 'the same uncompressed', value: total(loaded, 'raw') / KIB, unit: 'KiB' },
    {
      suite: 'ui',
      name: `the same as the relay sent it to Chromium (${[...new Set(loaded.map((f) => f.encoding ?? '?'))].sort().join(', ')})`,
      value: total(loaded, 'sent') / KIB,
      unit: 'KiB',
    },
  ];
}

function navigationRows(real: readonly NavigationRun[], floor: readonly NavigationRun[]): BenchRow[] {
  const painted = real.map((r) => r.painted);
  const floorPainted = floor.map((r) => r.painted);
  const stage = (name: string, xs: (number | null)[]): BenchRow => {
    const known = xs.filter((x): x is number => x !== null);
    return { suite: 'ui', name, value: known.length === 0 ? Number.NaN : p50(known), p99: known.length === 0 ? Number.NaN : worst(known), unit: 'ms', detail: `navigation to 14 tiles, ms from navigation start (n=${real.length}; the p99 column is the worst)` };
  };
  return [
    {
      suite: 'ui',
      name: `navigation to 14 tiles drawn, p50 (n=${real.length}, empty cache)`,
      value: p50(painted),
      unit: 'ms',
      floor: { name: 'static 14-tile page p50 ms', value: p50(floorPainted) },
      target: { text: `< ${NAVIGATION_TARGET_MS} ms`, met: p50(painted) < NAVIGATION_TARGET_MS },
    },
    {
      suite: 'ui',
      name: `navigation to 14 tiles drawn, worst of ${real.length}`,
      value: worst(painted),
      unit: 'ms',
      floor: { name: 'static 14-tile page worst ms', value: worst(floorPainted) },
      target: { text: `< ${NAVIGATION_TARGET_MS} ms`, met: worst(painted) < NAVIGATION_TARGET_MS },
    },
    stage('scripts arrived', real.map((r) => r.scriptsEnd)),
    stage('DOMContentLoaded', real.map((r) => r.domContentLoaded)),
    stage('session check sent', real.map((r) => r.sessionStart)),
    stage("the app's bundle evaluated (its mark)", real.map((r) => r.evaluated)),
    stage('session check answered', real.map((r) => r.sessionEnd)),
    stage('first snapshot in hand (its mark)', real.map((r) => r.firstSnapshot)),
    stage('14 readings in the DOM', real.map((r) => r.inDom)),
    stage('the frame after, painted', painted),
    stage('floor: static page painted', floorPainted),
    stage('main-thread tasks, whole navigation', real.map((r) => r.taskMs)),
    stage('main-thread script, whole navigation', real.map((r) => r.scriptMs)),
    stage('floor: main-thread tasks', floor.map((r) => r.taskMs)),
    stage('Chromium CPU, whole navigation', real.map((r) => r.chromiumCpuMs)),
    stage('floor: Chromium CPU', floor.map((r) => r.chromiumCpuMs)),
  ];
}

function chartRows(r: ChartRounds): BenchRow[] {
  const each = `${Math.min(...r.points)}-${Math.max(...r.points)} points each`;
  const detail = `a month of 14 zones charted, per round (n=${r.charts.length}; the p99 column is the worst)`;
  return [
    {
      suite: 'ui',
      name: `a month of 14 zones charted, p50 (n=${r.charts.length}, ${each})`,
      value: p50(r.charts),
      unit: 'ms',
      floor: { name: 'uPlot alone, default options, p50 ms', value: p50(r.floor) },
      target: { text: `< ${CHARTS_TARGET_MS} ms`, met: p50(r.charts) < CHARTS_TARGET_MS },
    },
    {
      suite: 'ui',
      name: `a month of 14 zones charted, worst of ${r.charts.length}`,
      value: worst(r.charts),
      unit: 'ms',
      floor: { name: 'uPlot alone, default options, worst ms', value: worst(r.floor) },
      target: { text: `< ${CHARTS_TARGET_MS} ms`, met: worst(r.charts) < CHARTS_TARGET_MS },
    },
    { suite: 'ui', name: 'HistoryChart x14, wall', value: p50(r.charts), p99: worst(r.charts), unit: 'ms', detail },
    { suite: 'ui', name: 'HistoryChart x14, Chromium CPU', value: p50(r.chartsCpu), p99: worst(r.chartsCpu), unit: 'ms', detail },
    { suite: 'ui', name: 'floor: uPlot alone x14, wall', value: p50(r.floor), p99: worst(r.floor), unit: 'ms', detail },
    { suite: 'ui', name: 'floor: uPlot alone x14, Chromium CPU', value: p50(r.floorCpu), p99: worst(r.floorCpu), unit: 'ms', detail },
  ];
}

/** The renderer's built files by name: another run's build of a changed tree gives new names. */
function builtNames(): string {
  return readdirSync(join(root, 'out', 'renderer', 'assets')).sort().join(' ');
}

interface Navigations {
  loaded: Sized[];
  real: NavigationRun[];
  floor: NavigationRun[];
}

async function navigations(browser: Browser, cdp: CDPSession, relayUrl: string, floorUrl: string): Promise<Navigations> {
  const cookies = await signInCookies(browser, relayUrl, TEST_API_KEY);
  const out: Navigations = { loaded: [], real: [], floor: [] };
  // One untimed pair first (the browser's own first-navigation costs), then the two interleaved.
  await navigateOnce(browser, cdp, floorUrl, []);
  await navigateOnce(browser, cdp, `${relayUrl}/#/`, cookies, out.loaded);
  for (let i = 0; i < NAVIGATIONS; i++) {
    out.floor.push(await navigateOnce(browser, cdp, floorUrl, []));
    out.real.push(await navigateOnce(browser, cdp, `${relayUrl}/#/`, cookies));
  }
  return out;
}

export async function benchUi(): Promise<BenchRow[]> {
  const work = mkdtempSync(join(tmpdir(), 'boiler-bench-ui-pages-'));
  let site: UiSite | undefined;
  let server: BenchServer | undefined;
  let browser: Browser | undefined;
  try {
    await buildPage('floor-app.html', join(work, 'floor-app'));
    const floorApp = jsFiles(join(work, 'floor-app'));
    await buildPage('charts.html', join(work, 'charts'));
    // The UI the relay serves, built as the e2e run builds it, just before the relay starts (it serves the files there then).
    let built: Sized[] = [];
    let names = '';
    site = await startUiSite(() => {
      buildUi();
      built = jsFiles(join(root, 'out', 'renderer'));
      names = builtNames();
    });
    const running = site;
    server = await startBenchServer(join(work, 'charts'), () => running.relay.url);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const cdp = await browser.newBrowserCDPSession();

    const loadStart = loadavg()[0] ?? Number.NaN;
    let nav: Navigations;
    try {
      nav = await navigations(browser, cdp, site.relay.url, `${server.url}/tiles-floor.html`);
    } catch (err) {
      // Another run (the e2e's global setup) rebuilt out/renderer from a changed tree since the relay started: its new files are no routes there.
      if (builtNames() === names) throw err;
      process.stderr.write('  out/renderer was rebuilt by another run; restarting the relay and navigating again\n');
      await site.restartRelay();
      nav = await navigations(browser, cdp, site.relay.url, `${server.url}/tiles-floor.html`);
    }
    const rounds = await chartRounds(browser, cdp, `${server.url}/charts.html`, CHART_ROUNDS);
    return [
      ...bundleRows(built, floorApp, nav.loaded),
      ...navigationRows(nav.real, nav.floor),
      ...chartRows(rounds),
      // Every figure here is wall time on a machine others may be using: the load says how much they were.
      { suite: 'ui', name: `1-min load average as the browser runs began (${cpus().length} cores)`, value: loadStart, unit: '' },
      { suite: 'ui', name: `1-min load average as they ended`, value: loadavg()[0] ?? Number.NaN, unit: '' },
    ];
  } finally {
    await browser?.close();
    await server?.close();
    await site?.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { formatTable } = await import('./table.js');
  console.log(formatTable(await benchUi()));
}
