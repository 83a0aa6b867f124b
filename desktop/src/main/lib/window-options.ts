import type { BrowserWindowConstructorOptions } from 'electron';
import { z } from 'zod';

export type ShellMode = 'kiosk' | 'desktop';

/**
 * The window's CSP, sent as a header on every response to the app's page (the built page carries
 * its own meta CSP too; the stricter of the two holds). The page reaches the relay only through
 * the preload, so it may connect nowhere.
 */
export const SHELL_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'none'",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** A window's remembered size and place (desktop mode), parsed when read back. */
export const WindowBounds = z.object({
  width: z.number().int().min(400).max(10_000),
  height: z.number().int().min(300).max(10_000),
  x: z.number().int().min(-20_000).max(20_000).optional(),
  y: z.number().int().min(-20_000).max(20_000).optional(),
  maximized: z.boolean().default(false),
});
export type WindowBounds = z.infer<typeof WindowBounds>;

export const DEFAULT_BOUNDS: WindowBounds = { width: 1280, height: 800, maximized: false };

/** The window for each mode; both carry every security setting, the kiosk fills the screen with nothing else. */
export function windowOptions(mode: ShellMode, preload: string, bounds: WindowBounds = DEFAULT_BOUNDS): BrowserWindowConstructorOptions {
  const webPreferences: BrowserWindowConstructorOptions['webPreferences'] = {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    spellcheck: false,
    safeDialogs: true,
    // The kiosk is on a wall: no devtools to open from it.
    devTools: mode === 'desktop',
  };
  if (mode === 'kiosk') {
    return {
      show: false,
      kiosk: true,
      fullscreen: true,
      frame: false,
      autoHideMenuBar: true,
      backgroundColor: '#101418',
      webPreferences,
    };
  }
  return {
    show: false,
    width: bounds.width,
    height: bounds.height,
    ...(bounds.x === undefined ? {} : { x: bounds.x }),
    ...(bounds.y === undefined ? {} : { y: bounds.y }),
    minWidth: 480,
    minHeight: 400,
    kiosk: false,
    fullscreen: false,
    autoHideMenuBar: true,
    backgroundColor: '#101418',
    webPreferences,
  };
}

/**
 * Chromium switches for the mode, applied before the app is ready: the kiosk takes touch events,
 * and neither pinch nor an overscroll swipe can zoom the page or navigate it away.
 */
export function commandLineSwitches(mode: ShellMode): [string, string?][] {
  if (mode !== 'kiosk') return [];
  return [['touch-events', 'enabled'], ['disable-pinch'], ['overscroll-history-navigation', '0']];
}

/** The mode and options from the command line: `--kiosk`, and `--hide-cursor` with it. */
export function shellModeFrom(argv: readonly string[]): { mode: ShellMode; hideCursor: boolean } {
  const kiosk = argv.includes('--kiosk');
  return { mode: kiosk ? 'kiosk' : 'desktop', hideCursor: kiosk && argv.includes('--hide-cursor') };
}

/** The page's URL in the app: the kiosk's UI habits (kiosk=1) on in kiosk mode. */
export function pageQuery(mode: ShellMode): Record<string, string> {
  return mode === 'kiosk' ? { kiosk: '1' } : {};
}

/** CSS that hides the pointer on a touch kiosk (`--hide-cursor`). */
export const HIDDEN_CURSOR_CSS = '* { cursor: none !important; }';

/** Whether the window may go to `url`: never; the app is one page with hash routes. */
export function mayNavigate(url: string, appUrl: string): boolean {
  try {
    const to = new URL(url);
    const app = new URL(appUrl);
    // A hash change on the app's own page is a route change, which Electron does not report as navigation anyway.
    return to.protocol === app.protocol && to.host === app.host && to.pathname === app.pathname && to.search === app.search;
  } catch {
    return false;
  }
}

/** Every permission request (camera, notifications from the page, geolocation, …) is refused. */
export function permissionAllowed(): false {
  return false;
}

/** Only the app's own page and its assets load; anything else (remote content) is cancelled. */
export function mayLoad(url: string, appUrl: string): boolean {
  let to: URL;
  let app: URL;
  try {
    to = new URL(url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (to.protocol === 'devtools:' || to.protocol === 'data:') return true;
  if (app.protocol === 'file:') {
    const root = app.pathname.slice(0, app.pathname.lastIndexOf('/') + 1);
    return to.protocol === 'file:' && to.pathname.startsWith(root) && !to.pathname.slice(root.length).split('/').includes('..');
  }
  // Development: the dev server only (its hot reload socket too).
  return to.host === app.host && ['http:', 'https:', 'ws:', 'wss:'].includes(to.protocol);
}
