/**
 * A month of 14 zones charted: the bench page (bench/ui/page/charts.ts) holds fourteen of the
 * renderer's HistoryChart components; each timed round presses Month on all of them at once (the
 * answers already fetched from the relay, so only the charting is timed), and each round also
 * times the floor, uPlot alone drawing the same answers at the same size.
 */
import type { Browser, CDPSession } from '@playwright/test';
import { VIEWPORT, chromiumCpuMs, within } from './navigation.js';

export interface ChartRounds {
  charts: number[];
  floor: number[];
  /** CPU time of all Chromium's processes in each timed round. */
  chartsCpu: number[];
  floorCpu: number[];
  /** Points in each zone's month answer. */
  points: number[];
}

type Page = Awaited<ReturnType<Browser['newPage']>>;

/** A method of the page's ChartsBenchApi (bench/ui/page/charts.ts, web code, so named here by string). */
function call(page: Page, method: 'ready' | 'show' | 'floor' | 'monthPoints', arg?: string): Promise<unknown> {
  return within(60_000, page.evaluate(`window.chartsBench.${method}(${arg === undefined ? '' : JSON.stringify(arg)})`, undefined), `chartsBench.${method}`);
}

export async function chartRounds(browser: Browser, browserCdp: CDPSession, pageUrl: string, rounds: number): Promise<ChartRounds> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  try {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(pageUrl);
    await page.waitForFunction('window.chartsBench !== undefined', undefined, { timeout: 30_000 });
    try {
      await call(page, 'ready');
      // The first month asks the relay (through the bench server); untimed, and it warms the code.
      await call(page, 'show', 'Month');
      await call(page, 'show', 'Day');
      await call(page, 'floor');
      const out: ChartRounds = { charts: [], floor: [], chartsCpu: [], floorCpu: [], points: [] };
      for (let i = 0; i < rounds; i++) {
        const month = await chromiumCpuMs(browserCdp, () => call(page, 'show', 'Month'));
        out.charts.push(Number(month.value));
        out.chartsCpu.push(month.cpuMs);
        await call(page, 'show', 'Day');
        const floor = await chromiumCpuMs(browserCdp, () => call(page, 'floor'));
        out.floor.push(Number(floor.value));
        out.floorCpu.push(floor.cpuMs);
      }
      out.points = (await call(page, 'monthPoints')) as number[];
      return out;
    } catch (err) {
      throw new Error(`${(err as Error).message}${errors.length > 0 ? `; page errors: ${errors.join('; ')}` : ''}`, { cause: err });
    }
  } finally {
    await context.close();
  }
}
