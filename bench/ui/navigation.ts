/**
 * Navigation to the dashboard's fourteen tiles drawn, in Chromium, each run in a fresh context
 * (an empty HTTP cache) holding the session cookie of one earlier sign-in.
 */
import type { Browser, BrowserContext, CDPSession, Cookie } from '@playwright/test';
import { gzipSize, type Sized } from './bundle.js';

/**
 * Installed before the page's own scripts: resolves `window.__tilesDrawn` with page times (ms
 * since the navigation started) when fourteen tiles each show a reading (a temperature, or On/Off
 * for an on/off zone), and just after the frame that puts them on screen; with the resource
 * timings that say what the page waited for and the app's own marks (main.ts, stores/link.ts).
 */
const TILES_OBSERVER = `(() => {
  const drawn = () => {
    const tiles = document.querySelectorAll('.zone-tile[data-zone]');
    if (tiles.length < 14) return false;
    for (const t of tiles) {
      if (!/\\d|On|Off/.test(t.querySelector('.reading .value')?.textContent ?? '')) return false;
    }
    return true;
  };
  window.__tilesDrawn = new Promise((resolve) => {
    let seen = false;
    const observer = new MutationObserver(() => {
      if (seen || !drawn()) return;
      seen = true;
      observer.disconnect();
      const inDom = performance.now();
      requestAnimationFrame(() => setTimeout(() => {
        const nav = performance.getEntriesByType('navigation')[0];
        const resources = performance.getEntriesByType('resource').map((r) => ({ name: r.name, type: r.initiatorType, start: r.startTime, end: r.responseEnd }));
        const marks = Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, m.startTime]));
        resolve({ inDom, painted: performance.now(), domContentLoaded: nav ? nav.domContentLoadedEventEnd : null, resources, marks });
      }, 0));
    });
    observer.observe(document, { subtree: true, childList: true, characterData: true });
  });
})();`;

export interface NavigationRun {
  /** Navigation start to the fourteen tiles in the DOM. */
  inDom: number;
  /** Navigation start to just after the frame that shows them. */
  painted: number;
  domContentLoaded: number | null;
  /** When the last script arrived, and the session check was sent and answered (none on the floor page). */
  scriptsEnd: number | null;
  sessionStart: number | null;
  sessionEnd: number | null;
  /** The app's marks: its bundle evaluated (main.ts), its first snapshot in hand (stores/link.ts). */
  evaluated: number | null;
  firstSnapshot: number | null;
  /** Main-thread time in tasks and in script over the whole navigation (Chromium's own counters, ms). */
  taskMs: number;
  scriptMs: number;
  /** CPU time of all Chromium's processes from the navigation to the tiles painted. */
  chromiumCpuMs: number;
}

/**
 * CPU time (ms) Chromium's processes (browser, renderers, GPU, network) spent while fn ran, by
 * Chromium's own per-process counters (10 ms steps): the work, which waiting for a busy machine's
 * cores does not inflate as it does wall time.
 */
export async function chromiumCpuMs<T>(browserCdp: CDPSession, fn: () => Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const read = async () => new Map((await browserCdp.send('SystemInfo.getProcessInfo')).processInfo.map((p) => [p.id, p.cpuTime]));
  const before = await read();
  const value = await fn();
  const after = await read();
  let seconds = 0;
  for (const [id, t] of after) seconds += t - (before.get(id) ?? 0);
  return { value, cpuMs: seconds * 1000 };
}

export const VIEWPORT = { width: 1280, height: 800 };

/** The promise's value, or an error naming what never came after ms. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Signs in as a person would and returns the session cookie the relay set. */
export async function signInCookies(browser: Browser, relayUrl: string, key: string): Promise<Cookie[]> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    await page.goto(`${relayUrl}/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('list', { name: 'Zones' }).waitFor({ state: 'visible', timeout: 30_000 });
    return await context.cookies();
  } finally {
    await context.close();
  }
}

/** One navigation in a fresh context; `scripts`, when given, receives every script the page loaded, sized. */
export async function navigateOnce(browser: Browser, browserCdp: CDPSession, url: string, cookies: readonly Cookie[], scripts?: Sized[]): Promise<NavigationRun> {
  let context: BrowserContext | undefined;
  try {
    context = await browser.newContext({ viewport: VIEWPORT });
    await context.addCookies([...cookies]);
    await context.addInitScript({ content: TILES_OBSERVER });
    const page = await context.newPage();
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const bodies: Promise<void>[] = [];
    if (scripts !== undefined) {
      page.on('response', (res) => {
        if (res.request().resourceType() !== 'script') return;
        bodies.push(
          Promise.all([res.body(), res.request().sizes(), res.headerValue('content-encoding')]).then(([b, sizes, encoding]) => {
            scripts.push({ file: new URL(res.url()).pathname, raw: b.length, gzip: gzipSize(b), sent: sizes.responseBodySize, encoding: encoding ?? 'identity' });
          }),
        );
      });
    }
    const { value: got, cpuMs } = await chromiumCpuMs(browserCdp, async () => {
      await page.goto(url, { waitUntil: 'commit' });
      return (await within(30_000, page.evaluate('window.__tilesDrawn', undefined), `the fourteen tiles at ${url}`)) as {
        inDom: number;
        painted: number;
        domContentLoaded: number | null;
        resources: { name: string; type: string; start: number; end: number }[];
        marks: Record<string, number>;
      };
    });
    const { metrics } = await cdp.send('Performance.getMetrics');
    const metric = (name: string) => 1000 * (metrics.find((m) => m.name === name)?.value ?? Number.NaN);
    await Promise.all(bodies);
    const scriptEnds = got.resources.filter((r) => r.type === 'script' || r.name.endsWith('.js')).map((r) => r.end);
    const session = got.resources.find((r) => new URL(r.name).pathname === '/api/session');
    return {
      inDom: got.inDom,
      painted: got.painted,
      domContentLoaded: got.domContentLoaded,
      scriptsEnd: scriptEnds.length === 0 ? null : Math.max(...scriptEnds),
      sessionStart: session?.start ?? null,
      sessionEnd: session?.end ?? null,
      evaluated: got.marks['boiler:evaluated'] ?? null,
      firstSnapshot: got.marks['boiler:first-snapshot'] ?? null,
      taskMs: metric('TaskDuration'),
      scriptMs: metric('ScriptDuration'),
      chromiumCpuMs: cpuMs,
    };
  } finally {
    await context?.close();
  }
}
