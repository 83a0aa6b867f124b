import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './test/support/chromium.js';

/**
 * The UI's end-to-end run: Debian's chromium (Playwright's own browser download is not used), a
 * real agent on the simulator and a real relay per worker (test/e2e/support/site.ts), the built UI
 * served by the relay. Two workers, each with its own site: much of the run waits on real time (the
 * kiosk's idle dimming, an override's two simulated minutes, notification retries), so two share the
 * two cores well (measured on this machine: 47 tests in 4.5 min with one worker, 3.0 min with two,
 * all passing both ways).
 */
export default defineConfig({
  testDir: 'test/e2e',
  testMatch: '**/*.spec.ts',
  globalSetup: './test/e2e/support/build-ui.ts',
  outputDir: 'test-results/e2e',
  workers: 2,
  fullyParallel: false,
  forbidOnly: true,
  retries: 0,
  timeout: 120_000,
  expect: { timeout: 20_000 },
  reporter: [['list']],
  use: {
    browserName: 'chromium',
    // Playwright gives every context its own fresh profile in a temp dir.
    launchOptions: {
      executablePath: CHROMIUM_PATH,
      args: CHROMIUM_ARGS,
    },
    viewport: { width: 1280, height: 800 },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
