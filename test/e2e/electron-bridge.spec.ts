import { test as base, expect, type Page } from '@playwright/test';
import { buildSync } from 'esbuild';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { certificateFingerprint, formatFingerprint } from '@boiler/service/tls';
import type { LiveEvent } from '../../desktop/src/preload/api.js';
import { registerIpc, type IpcEventLike, type IpcMainLike } from '../../desktop/src/main/lib/ipc.js';
import { PairingFile } from '../../desktop/src/main/lib/pairing.js';
import { EncryptedFileStore } from '../../desktop/src/main/lib/secret-store.js';
import { Shell } from '../../desktop/src/main/lib/shell.js';
import { SHELL_CSP } from '../../desktop/src/main/lib/window-options.js';
import { FakeSafeStorage } from '../../desktop/test/fakes/safe-storage.js';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { repoRoot, stopAndCleanUp } from '../support/processes.js';
import { tile } from './support/sign-in.js';

/**
 * The renderer's Electron path without Electron (no binary can be had here): the built page,
 * served as the app's own origin with the shell's CSP, gets `window.boiler` from the preload's
 * own bridge code, whose ipcRenderer is a Playwright binding to the real main-process modules
 * (IPC handlers with their frame check and zod, the Shell, the pinned client) running in this
 * test's Node, with a real relay serving TLS and a real agent behind them.
 */

const APP_ORIGIN = 'http://boiler-shell.test';
const APP_URL = `${APP_ORIGIN}/index.html`;
const rendererDir = join(repoRoot, 'out', 'renderer');

interface TlsSite {
  agent: AgentUnderTest;
  relay: RelayUnderTest;
  origin: string;
  fingerprint: string;
}

const test = base.extend<object, { tlsSite: TlsSite }>({
  tlsSite: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const agent = await startAgent({ env: { SIM_SPEED: '60', SIM_CLOCK_OFFSET: '-24h', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
      let relay: RelayUnderTest | undefined;
      try {
        // Listening off loopback: the relay serves TLS with its self-signed certificate; the test talks to 127.0.0.1.
        relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { HTTP_HOST: '0.0.0.0', LINK_DEAD_AFTER: '5', COMMAND_TIMEOUT: '10' } });
        await relay.proc.waitForLog((l) => l.msg === 'agent link open');
        const port = relay.proc.lines.find((l) => l.msg === 'relay listening')?.port;
        const fingerprint = certificateFingerprint(readFileSync(join(relay.dir, 'relay-tls-cert.pem')));
        await use({ agent, relay, origin: `https://127.0.0.1:${String(port)}`, fingerprint });
      } finally {
        await stopAndCleanUp(relay, agent);
      }
    },
    { scope: 'worker' },
  ],
});

/** The preload's bridge (desktop/src/preload/bridge.ts) bundled for the page, as electron-vite bundles it. */
function preloadScript(): string {
  const built = buildSync({ entryPoints: [join(repoRoot, 'desktop/src/preload/bridge.ts')], bundle: true, format: 'iife', globalName: '__boilerPreload', write: false, target: 'es2022' });
  const code = built.outputFiles[0]?.text ?? '';
  // What contextBridge.exposeInMainWorld('boiler', createBridge(ipcRenderer)) does, with the binding as ipcRenderer.
  return `${code}
(() => {
  const listeners = new Map();
  window.__boilerEmit = (channel, payload) => { for (const l of listeners.get(channel) ?? []) l({}, payload); };
  const ipc = {
    invoke: (channel, ...args) => window.__boilerInvoke(channel, ...args),
    on: (channel, l) => listeners.set(channel, [...(listeners.get(channel) ?? []), l]),
    removeListener: (channel, l) => listeners.set(channel, (listeners.get(channel) ?? []).filter((x) => x !== l)),
  };
  if (window.top === window) window.boiler = Object.freeze(__boilerPreload.createBridge(ipc));
})();`;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.png': 'image/png' };

/** The page as the shell loads it: the built renderer's files, with the shell's CSP header; nothing else is reachable. */
async function openShellPage(page: Page): Promise<{ secretsFile: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-shell-e2e-'));
  const secretsFile = join(dir, 'secrets.json');
  const shell = new Shell(new PairingFile(join(dir, 'pairing.json')), new EncryptedFileStore(secretsFile, new FakeSafeStorage(), 'No system keychain answered (test); the API key is kept in a file encrypted with Electron safeStorage.'), false);
  await shell.start();
  page.on('close', () => shell.closeAll());

  const handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  const ipcMain: IpcMainLike = { handle: (c, h) => handlers.set(c, h), removeHandler: (c) => handlers.delete(c) };
  // Live events to the page, in order.
  let pushing: Promise<unknown> = Promise.resolve();
  registerIpc(ipcMain, shell, APP_URL, (_id, event: LiveEvent) => {
    pushing = pushing.then(() => page.evaluate(`window.__boilerEmit('boiler:live-event', ${JSON.stringify(event)})`)).catch(() => undefined);
  });
  await page.exposeBinding('__boilerInvoke', async (source, channel: string, ...args: unknown[]) => {
    const handler = handlers.get(channel);
    if (handler === undefined) throw new Error(`no handler for ${channel}`);
    return handler({ senderFrame: { url: source.frame.url(), parent: source.frame.parentFrame() }, sender: { id: 1 } }, ...args);
  });
  await page.addInitScript(preloadScript());

  await page.route(`${APP_ORIGIN}/**`, async (route) => {
    const path = normalize(decodeURIComponent(new URL(route.request().url()).pathname));
    try {
      const body = await readFile(join(rendererDir, path === '/' ? 'index.html' : path));
      await route.fulfill({ status: 200, body, headers: { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream', 'content-security-policy': SHELL_CSP } });
    } catch {
      await route.fulfill({ status: 404, body: '' });
    }
  });
  // Anything else the page asks for would be remote content: the shell cancels it, so does this.
  await page.route((url) => !url.href.startsWith(APP_ORIGIN), (route) => route.abort('blockedbyclient'));
  await page.goto(APP_URL);
  return { secretsFile };
}

async function pair(page: Page, relay: string, key: string, fingerprint: string): Promise<void> {
  await page.getByLabel('Relay address').fill(relay);
  await page.getByLabel('API key').fill(key);
  await page.getByLabel('Certificate fingerprint (SHA-256)').fill(fingerprint);
  await page.getByRole('button', { name: 'Pair' }).click();
}

test.describe.configure({ mode: 'serial' });

test('pairing through the bridge: a wrong fingerprint refused with its reason, then 14 tiles, a command to succeeded, the key nowhere in the page', async ({ page, tlsSite }) => {
  const { secretsFile } = await openShellPage(page);
  await expect(page.getByRole('heading', { name: 'Pair with the relay' })).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: 'safeStorage' })).toBeVisible();
  for (const [w, h] of [[1280, 800], [1024, 600], [800, 480]] as const) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: `e2e-screenshots/electron-pairing-${w}x${h}.png` });
  }
  await page.setViewportSize({ width: 1280, height: 800 });

  // Another certificate's fingerprint: the main process refuses, and the page says why.
  const wrong = formatFingerprint(randomBytes(32));
  await pair(page, tlsSite.origin, TEST_API_KEY, wrong);
  const alert = page.getByRole('alert');
  await expect(alert).toContainText("The relay's certificate does not match the fingerprint");
  await expect(alert).toContainText(tlsSite.fingerprint);
  await page.screenshot({ path: 'e2e-screenshots/electron-pairing-refused-1280x800.png' });
  await expect(page.getByRole('list', { name: 'Zones' })).toHaveCount(0);

  // A wrong key with the right fingerprint: refused too.
  await pair(page, tlsSite.origin, 'not-the-key-0123456789', tlsSite.fingerprint);
  await expect(alert).toHaveText('The relay refused this API key.');

  await pair(page, tlsSite.origin, TEST_API_KEY, tlsSite.fingerprint);
  const tiles = page.getByRole('list', { name: 'Zones' }).getByRole('listitem');
  await expect(tiles).toHaveCount(14);
  await expect(page.getByRole('status').filter({ hasText: 'Pi online' })).toBeVisible();
  await page.screenshot({ path: 'e2e-screenshots/electron-dashboard-1280x800.png' });

  // A command through the main process to the relay and the Pi, followed to succeeded on the live feed.
  await tile(page, 'Z3').click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(/^Z3 /);
  await page.getByRole('button', { name: 'Raise setpoint' }).click();
  const states = page.getByRole('list', { name: 'Command states' }).getByRole('listitem');
  await expect(states.last()).toHaveText('succeeded', { timeout: 30_000 });

  // The key is nowhere the page can reach: not in its DOM, storage, globals or the bridge's answers.
  const seen = (await page.evaluate(`(async () => {
    const inputs = [...document.querySelectorAll('input, textarea')].map((i) => i.value);
    const globals = Object.keys(window).map((k) => {
      try {
        return typeof window[k] === 'string' ? window[k] : '';
      } catch {
        return '';
      }
    });
    return JSON.stringify([document.documentElement.outerHTML, inputs, { ...localStorage }, { ...sessionStorage }, document.cookie, globals, await window.boiler.state()]);
  })()`)) as string;
  expect(seen).not.toContain(TEST_API_KEY);
  expect(seen).toContain(tlsSite.fingerprint);
  // Kept only encrypted by the main process.
  expect(readFileSync(secretsFile, 'utf8')).not.toContain(TEST_API_KEY);
});

test('the page itself connects nowhere: the shell CSP refuses a fetch to the relay, and the bridge refuses routes the app does not use', async ({ page, tlsSite }) => {
  await openShellPage(page);
  await expect(page.getByRole('heading', { name: 'Pair with the relay' })).toBeVisible();
  const result = (await page.evaluate(`(async () => {
    const out = [];
    const violated = new Promise((resolve) => document.addEventListener('securitypolicyviolation', (e) => resolve(e.effectiveDirective), { once: true }));
    try {
      await fetch(${JSON.stringify(tlsSite.origin)} + '/api/presets');
      out.push('fetched');
    } catch {
      out.push('fetch refused by ' + (await violated));
    }
    try {
      await window.boiler.request({ method: 'GET', path: '/api/link' });
      out.push('link answered');
    } catch (err) {
      out.push(String(err));
    }
    return out;
  })()`)) as string[];
  expect(result[0]).toBe('fetch refused by connect-src');
  expect(result[1]).toContain('not a relay route the app uses');
});
