/**
 * How the tests and the bench launch Chromium: Debian's package (Playwright's own download is not
 * used), headless, with nothing reaching out to the network on its own. Playwright gives each launch
 * a fresh profile in a temp dir.
 */
export const CHROMIUM_PATH = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
