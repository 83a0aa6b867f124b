import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

/** Where screenshots go (git-ignored); looked at by a person after the run. */
export const SCREENSHOT_DIR = join(repoRoot, 'e2e-screenshots');

/** The screens the UI is shown on: the owner's laptop and the two 7-inch wall panels. */
export const SCREENS = [
  { name: 'desktop', width: 1280, height: 800, kiosk: false },
  { name: 'kiosk-1024', width: 1024, height: 600, kiosk: true },
  { name: 'kiosk-800', width: 800, height: 480, kiosk: true },
] as const;

export type Screen = (typeof SCREENS)[number];

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`) });
}

interface Box {
  what: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

const INTERACTIVE = 'a[href], button, input, select, textarea, [role="button"], [role="link"], [tabindex]:not([tabindex="-1"])';

async function boxes(page: Page): Promise<Box[]> {
  const found: Box[] = [];
  for (const el of await page.locator(INTERACTIVE).all()) {
    if (!(await el.isVisible())) continue;
    const box = await el.boundingBox();
    if (box === null) continue;
    found.push({ what: await describe(el), ...box });
  }
  return found;
}

async function describe(el: Locator): Promise<string> {
  const label = (await el.getAttribute('aria-label')) ?? (await el.textContent()) ?? '';
  return label.trim().replace(/\s+/g, ' ').slice(0, 60);
}

function overlap(a: Box, b: Box): boolean {
  // One pixel of shared border is not an overlap a finger would notice.
  return a.x + a.width - 1 > b.x && b.x + b.width - 1 > a.x && a.y + a.height - 1 > b.y && b.y + b.height - 1 > a.y;
}

function contains(outer: Box, inner: Box): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.width <= outer.x + outer.width && inner.y + inner.height <= outer.y + outer.height;
}

/**
 * What a screen must hold to be usable: nothing wider than the viewport, no two controls on top
 * of each other, and on a kiosk every control at least 44x44 px (a fingertip).
 */
export async function expectUsableLayout(page: Page, screen: Screen): Promise<void> {
  const scroll = (await page.evaluate('[document.documentElement.scrollWidth, document.documentElement.clientWidth]')) as [number, number];
  expect(scroll[0], 'page wider than the viewport (horizontal scroll)').toBeLessThanOrEqual(scroll[1]);
  const found = await boxes(page);
  expect(found.length, 'no controls found').toBeGreaterThan(0);
  const overlaps: string[] = [];
  for (let i = 0; i < found.length; i++) {
    for (let j = i + 1; j < found.length; j++) {
      const a = found[i] as Box;
      const b = found[j] as Box;
      // A control drawn inside another (a label's input) is one target, not two.
      if (contains(a, b) || contains(b, a)) continue;
      if (overlap(a, b)) overlaps.push(`"${a.what}" and "${b.what}"`);
    }
  }
  expect(overlaps, 'overlapping controls').toEqual([]);
  if (screen.kiosk) {
    const small = found.filter((b) => b.width < 44 || b.height < 44).map((b) => `"${b.what}" ${Math.round(b.width)}x${Math.round(b.height)}`);
    expect(small, 'controls smaller than 44x44 px on a kiosk').toEqual([]);
  }
}

/** Whether the element lies wholly inside the viewport, with no scrolling. */
export async function expectInView(page: Page, el: Locator): Promise<void> {
  const box = await el.boundingBox();
  const viewport = page.viewportSize();
  expect(box, 'element not drawn').not.toBeNull();
  expect(viewport).not.toBeNull();
  if (box === null || viewport === null) return;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${await describe(el)} past the right edge`).toBeLessThanOrEqual(viewport.width + 0.5);
  expect(box.y + box.height, `${await describe(el)} below the bottom edge`).toBeLessThanOrEqual(viewport.height + 0.5);
}
