import { _electron as electron, test, expect } from '@playwright/test';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { certificateFingerprint } from '@boiler/service/tls';
import { BRIDGE_METHODS } from '../../desktop/src/preload/api.js';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { repoRoot, stopAndCleanUp } from '../support/processes.js';

/**
 * The built app in a real Electron, where there is one: the `electron` package here was installed
 * without its binary (the download needs the internet), so this prints why and is skipped; the
 * same path is covered through a bridge in electron-bridge.spec.ts and the main-process modules
 * under Node (desktop/test/main).
 */
function electronBinary(): { path: string } | { missing: string } {
  // Read where the package keeps it rather than require('electron'), which starts a download when it is missing.
  const pkg = join(repoRoot, 'node_modules/electron');
  const pathFile = join(pkg, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : 'electron';
  const path = join(process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(pkg, 'dist'), name);
  return existsSync(path) ? { path } : { missing: `no Electron binary at ${path} (the electron package was installed without it: its download needs the internet)` };
}

const binary = electronBinary();
if ('missing' in binary) console.log(`electron-app.spec.ts skipped: ${binary.missing}; install one (npx electron --version downloads it) to run it`);

test.describe('the Electron app', () => {
  test.skip('missing' in binary, 'missing' in binary ? binary.missing : '');

  let agent: AgentUnderTest | undefined;
  let relay: RelayUnderTest | undefined;
  test.afterAll(async () => {
    await stopAndCleanUp(relay, agent);
  });

  test('locked down, paired over pinned TLS, 14 tiles', async () => {
    if ('missing' in binary) return;
    agent = await startAgent({ env: { SIM_SPEED: '60', SIM_CLOCK_OFFSET: '-24h', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { HTTP_HOST: '0.0.0.0' } });
    await relay.proc.waitForLog((l) => l.msg === 'agent link open');
    const port = relay.proc.lines.find((l) => l.msg === 'relay listening')?.port;
    const fingerprint = certificateFingerprint(readFileSync(join(relay.dir, 'relay-tls-cert.pem')));

    const userData = mkdtempSync(join(tmpdir(), 'boiler-electron-'));
    const args = [join(repoRoot, 'out/main/index.js'), `--user-data-dir=${userData}`];
    if (process.env.DISPLAY === undefined && process.env.WAYLAND_DISPLAY === undefined) args.push('--ozone-platform=headless');
    const app = await electron.launch({ executablePath: binary.path, args, cwd: repoRoot });
    try {
      const page = await app.firstWindow();
      // No Node in the page (contextIsolation, sandbox, no nodeIntegration), and window.open denied.
      expect(await page.evaluate('[typeof require, typeof process, window.open("https://example.com") === null]')).toEqual(['undefined', 'undefined', true]);
      expect(await page.evaluate('Object.keys(window.boiler)')).toEqual([...BRIDGE_METHODS]);

      await page.getByLabel('Relay address').fill(`https://127.0.0.1:${String(port)}`);
      await page.getByLabel('API key').fill(TEST_API_KEY);
      await page.getByLabel('Certificate fingerprint (SHA-256)').fill(fingerprint);
      await page.getByRole('button', { name: 'Pair' }).click();
      await expect(page.getByRole('list', { name: 'Zones' }).getByRole('listitem')).toHaveCount(14);
      expect(await page.content()).not.toContain(TEST_API_KEY);
    } finally {
      await app.close();
    }
  });
});
