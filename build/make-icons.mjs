// Renders build/icon.svg to the PNG sizes electron-builder and the tray use (build/icons/NxN.png),
// with the system's Chromium: `node build/make-icons.mjs`.
import { chromium } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// Debian's Chromium, as the tests launch it (test/support/chromium.ts).
const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu'];

const SIZES = [16, 32, 48, 64, 128, 256, 512];
const svg = readFileSync(join(import.meta.dirname, 'icon.svg'), 'utf8');
const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
try {
  const page = await browser.newPage();
  for (const size of SIZES) {
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<style>html,body{margin:0;background:transparent}svg{display:block;width:${size}px;height:${size}px}</style>${svg}`);
    await page.screenshot({ path: join(import.meta.dirname, 'icons', `${size}x${size}.png`), omitBackground: true });
  }
} finally {
  await browser.close();
}
