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
    // Resolves with the first address printed, the moment its line arrives.
    const firstAddress = new Promise<string>((resolve) => {
      const seen = (d: Buffer) => {
        out += d.toString();
        const url = /https?:\/\/[^\s/]+\/?/.exec(out)?.[0];
        if (url !== undefined) resolve(url);
      };
      child.stdout.on('data', seen);
      child.stderr.on('data', seen);
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      const address = await Promise.race([firstAddress, exited.then((code) => Promise.reject(new Error(`npm start exited (${code}) before printing an address:\n${out}`)))]);
      // At once, no retry: the address is printed only when the relay answers on it with the agent linked.
      const ui = await fetch(address);
      expect(ui.status).toBe(200);
      // The app itself, not the relay's "not built yet" page: npm start builds the UI on a fresh checkout.
      const page = await ui.text();
      expect(page).toMatch(/<title>Boiler Controller<\/title>/);
      expect(page).toMatch(/<script type="module"[^>]* src="\.\/assets\/[^"]+\.js"/);
      expect(page).not.toMatch(/has not been built/);
      const health = (await (await fetch(new URL('/health', address))).json()) as { pi_connected: boolean };
      expect(health.pi_connected).toBe(true);
      expect(address).toBe(`http://127.0.0.1:${relayPort}/`);
      expect(out).toContain(`UI:       http://127.0.0.1:${relayPort}/`);
      // The agent listened before the relay started: no link error on a first start.
      expect(out).not.toMatch(/link error/);
      await expect.poll(() => out).toMatch(/API key:\s+\S+/);
      const key = /API key:\s+(\S+)/.exec(out)?.[1];
      const secrets = JSON.parse(readFileSync(join(dir, 'local-secrets.json'), 'utf8')) as { api_key: string };
      expect(key).toBe(secrets.api_key);
      expect(statSync(join(dir, 'local-secrets.json')).mode & 0o777).toBe(0o600);
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

  it('names a port in use in one line and stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boiler-start-'));
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const taken = (blocker.address() as { port: number }).port;
    const child = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'scripts/start.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', BOILER_DATA_DIR: dir, WS_PORT: String(taken), HTTP_PORT: String(await freePort()) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      expect(code).toBe(1);
      expect(out.split('\n').filter((l) => l.includes('is in use'))).toEqual([`port ${taken} is in use`]);
      expect(out).not.toMatch(/server failed|exited \(/);
      expect(out).not.toMatch(/UI:/);
    } finally {
      child.kill('SIGKILL');
      await new Promise<void>((r) => blocker.close(() => r()));
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
