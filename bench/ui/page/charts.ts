/**
 * Bench page: the renderer's real HistoryChart, fourteen of them (one per zone), fed by the real
 * BrowserBackend (the zod-parsed relay answers, reached through the bench server's proxy) with its
 * history answers kept after the first ask, so a timed round measures the charting and not the
 * relay. bench/ui/charts.ts drives it through `window.chartsBench`.
 */
import { createApp, h } from 'vue';
import { createPinia } from 'pinia';
import uPlot, { type AlignedData } from 'uplot';
import type { CommandBody, HistoryPoint } from '@boiler/shared';
import HistoryChart from '../../../desktop/src/renderer/src/components/HistoryChart.vue';
import { useBackendImplementation, type Backend, type EventsFilter, type LiveHandlers } from '../../../desktop/src/renderer/src/backend/backend';
import { BrowserBackend } from '../../../desktop/src/renderer/src/backend/browser-backend';
import '../../../desktop/src/renderer/src/theme.css';

const ZONES = Array.from({ length: 14 }, (_, i) => `Z${i + 1}`);

/** The browser's Backend with each history answer kept by zone, span and point count. */
class KeptHistoryBackend implements Backend {
  private readonly kept = new Map<string, HistoryPoint[]>();
  /** The latest answer for each zone over about a month. */
  readonly months = new Map<string, HistoryPoint[]>();
  /** The last refusal, for the bench's error (the chart itself only says it could not load). */
  lastError = '';
  constructor(private readonly inner: Backend) {}
  hasSession = () => this.inner.hasSession();
  signIn = (key: string) => this.inner.signIn(key);
  signOut = () => this.inner.signOut();
  live = (handlers: LiveHandlers) => this.inner.live(handlers);
  sendCommand = (id: string, body: CommandBody) => this.inner.sendCommand(id, body);
  retryCommand = (id: string) => this.inner.retryCommand(id);
  zoneStats = (zone: string, from: number, to: number) => this.inner.zoneStats(zone, from, to);
  schedules = () => this.inner.schedules();
  presets = () => this.inner.presets();
  events = (query: EventsFilter) => this.inner.events(query);
  commands = (limit: number) => this.inner.commands(limit);
  exportUrl = (path: string, query: URLSearchParams) => this.inner.exportUrl(path, query);
  notifyView = () => this.inner.notifyView();
  testNotice = (channel: string) => this.inner.testNotice(channel);
  async history(zone: string, from: number, to: number, points: number): Promise<HistoryPoint[]> {
    const hours = Math.round((to - from) / 3600_000);
    const key = `${zone} ${hours} ${points}`;
    let got = this.kept.get(key);
    if (got === undefined) {
      try {
        got = await this.inner.history(zone, from, to, points);
      } catch (err) {
        this.lastError = `${zone}: ${err instanceof Error ? err.message : String(err)}`;
        throw err;
      }
      this.kept.set(key, got);
    }
    if (hours >= 28 * 24) this.months.set(zone, got);
    return got;
  }
}

const backend = new KeptHistoryBackend(new BrowserBackend());
useBackendImplementation(backend);
createApp({ render: () => h('div', { class: 'charts' }, ZONES.map((zone) => h(HistoryChart, { zone, key: zone }))) })
  .use(createPinia())
  .mount('#app');

/** Resolves when check() holds, looked at after every change to the page. */
function when(check: () => boolean, timeoutMs = 60_000): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      if (check()) {
        resolve();
        return;
      }
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const timer = setTimeout(() => {
      observer.disconnect();
      reject(new Error('timed out waiting for the charts'));
    }, timeoutMs);
    const observer = new MutationObserver(() => {
      let done: boolean;
      try {
        done = check();
      } catch (err) {
        observer.disconnect();
        clearTimeout(timer);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (!done) return;
      observer.disconnect();
      clearTimeout(timer);
      resolve();
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true });
  });
}

/** Resolves just after the next frame: what was drawn before it is on screen. */
function afterFrame(): Promise<void> {
  return new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
}

function figures(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('figure.history-chart')];
}

/** Whether every chart shows the range named, drawn: its caption counts the points and its canvas is there. */
function drawn(range: string): boolean {
  const all = figures();
  if (all.some((f) => /could not be loaded/.test(f.querySelector('figcaption')?.textContent ?? ''))) throw new Error(`a chart could not load its history (${backend.lastError})`);
  return (
    all.length === ZONES.length &&
    all.every((f) => new RegExp(`^${range}: \\d+ points`).test(f.querySelector('figcaption')?.textContent ?? '') && f.querySelector('.plot canvas') !== null)
  );
}

/** Columns for the floor: the answer's fields as they are, no gaps found, no unit change. */
function bareColumns(points: readonly HistoryPoint[]): AlignedData {
  return [points.map((p) => p.ts), points.map((p) => p.room_c), points.map((p) => p.pipe_c), points.map((p) => p.outdoor_c), points.map((p) => p.duty)];
}

export interface ChartsBenchApi {
  /** Resolves when the fourteen day charts are drawn. */
  ready(): Promise<void>;
  /** Presses the range button on every chart at once; ms from the presses to the frame after all fourteen are drawn. */
  show(range: 'Day' | 'Week' | 'Month'): Promise<number>;
  /**
   * The floor: uPlot alone drawing the same month answers, at the same size, with its default
   * options and the columns built beforehand; ms from the first constructor to the frame after.
   */
  floor(): Promise<number>;
  /** Points in each zone's month answer. */
  monthPoints(): number[];
}

const api: ChartsBenchApi = {
  ready: () => when(() => drawn('Day')),
  async show(range) {
    const t0 = performance.now();
    for (const f of figures()) {
      const button = [...f.querySelectorAll('button')].find((b) => b.textContent === range);
      if (button === undefined) throw new Error(`no ${range} button`);
      button.click();
    }
    await when(() => drawn(range));
    await afterFrame();
    return performance.now() - t0;
  },
  async floor() {
    const wrap = document.querySelector('.u-wrap');
    if (wrap === null) throw new Error('no chart drawn to take the size from');
    const { width, height } = wrap.getBoundingClientRect();
    const data = ZONES.map((z) => bareColumns(backend.months.get(z) ?? []));
    const host = document.querySelector('.floor') as HTMLElement;
    const boxes = ZONES.map(() => host.appendChild(document.createElement('div')));
    const series = [{}, { stroke: 'red' }, { stroke: 'blue' }, { stroke: 'green' }, { stroke: 'orange' }];
    const t0 = performance.now();
    const plots = data.map((d, i) => new uPlot({ width: Math.round(width), height: Math.round(height), ms: 1, series }, d, boxes[i]));
    await afterFrame();
    const ms = performance.now() - t0;
    for (const p of plots) p.destroy();
    host.replaceChildren();
    return ms;
  },
  monthPoints: () => ZONES.map((z) => backend.months.get(z)?.length ?? 0),
};

(window as unknown as { chartsBench: ChartsBenchApi }).chartsBench = api;
