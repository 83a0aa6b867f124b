import { describe, it, expect } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './support/processes.js';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('npm start', () => {
  it('runs the agent on the simulator and the relay on loopback, prints the UI URL and key, and stops both on Ctrl-C', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boiler-start-'));
    const [agentPort, relayPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/start.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BOILER_DATA_DIR: dir, WS_PORT: String(agentPort), HTTP_PORT: String(relayPort) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await expect.poll(() => out, { timeout: 20_000 }).toContain(`UI:       http://127.0.0.1:${relayPort}/`);
      const key = /API key:\s+(\S+)/.exec(out)?.[1];
      const secrets = JSON.parse(readFileSync(join(dir, 'local-secrets.json'), 'utf8')) as { api_key: string };
      expect(key).toBe(secrets.api_key);
      expect(statSync(join(dir, 'local-secrets.json')).mode & 0o777).toBe(0o600);
      await expect
        .poll(async () => {
          try {
            return ((await (await fetch(`http://127.0.0.1:${relayPort}/health`)).json()) as { pi_connected: boolean }).pi_connected;
          } catch {
            return false;
          }
        }, { timeout: 30_000, interval: 250 })
        .toBe(true);
      const ui = await fetch(`http://127.0.0.1:${relayPort}/`);
      expect(ui.status).toBe(200);
      expect(await ui.text()).toMatch(/Boiler Controller/);
      const zones = (await (await fetch(`http://127.0.0.1:${relayPort}/api/zones`, { headers: { authorization: `Bearer ${key}` } })).json()) as { zones: unknown[] };
      expect(zones.zones).toHaveLength(14);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(out).toMatch(/stopping/);
      // Both parts are gone: nothing answers on either port.
      await expect(fetch(`http://127.0.0.1:${relayPort}/health`)).rejects.toThrow();
      await expect(fetch(`http://127.0.0.1:${agentPort}/health`)).rejects.toThrow();
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
