import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, stopProcess, type RunningProcess } from '../support/processes.js';
import { AGENT_ENTRY, TEST_API_KEY, TEST_SECRET } from '../support/agent-process.js';

// The relay and the agent refuse to start where a missing or example key would leave the house
// open: one line naming the variable, a non-zero exit, before anything listens.

const dir = mkdtempSync(join(tmpdir(), 'boiler-start-keys-'));
const running: RunningProcess[] = [];
afterAll(async () => {
  for (const p of running) await stopProcess(p);
  rmSync(dir, { recursive: true, force: true });
});
const PLACEHOLDER_KEY = 'REPLACE-ME-not-a-real-api-key-use-openssl-rand-hex-32';
const PLACEHOLDER_SECRET = 'REPLACE-ME-not-a-real-secret-use-openssl-rand-hex-32';

function relay(env: Record<string, string>): RunningProcess {
  // Port 0 and no agent: nothing here is meant to get as far as listening, except the loopback case.
  const p = startProcess('nas-relay/src/main.ts', { DB_PATH: join(dir, `relay-${running.length}.db`), PI_WS_URL: 'ws://127.0.0.1:9/ws', HTTP_PORT: '0', ...env });
  running.push(p);
  return p;
}

function agent(env: Record<string, string>): RunningProcess {
  const p = startProcess(AGENT_ENTRY, { DB_PATH: join(dir, `agent-${running.length}.db`), WS_PORT: '0', HARDWARE: 'sim', ...env });
  running.push(p);
  return p;
}

/** The config lines a refused start printed, after checking it exited with the config code and never listened. */
async function refused(p: RunningProcess): Promise<string[]> {
  const { code } = await p.exited;
  expect(code, p.stderr()).toBe(2);
  expect(p.lines.some((l) => /listening/.test(String(l.msg)))).toBe(false);
  return p.stderr().split('\n').filter((l) => l.startsWith('config: '));
}

describe('starting without keys', () => {
  it('the relay off loopback without API_KEY: refused in one line naming API_KEY', async () => {
    const lines = await refused(relay({ HTTP_HOST: '0.0.0.0', SHARED_SECRET: TEST_SECRET }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: API_KEY: required when HTTP_HOST \(0\.0\.0\.0\) is not loopback only/);
  });

  it("the relay with .env.example's placeholders: refused, naming both, echoing neither", async () => {
    const p = relay({ HTTP_HOST: '127.0.0.1', API_KEY: PLACEHOLDER_KEY, SHARED_SECRET: PLACEHOLDER_SECRET });
    const lines = await refused(p);
    expect(lines.map((l) => l.split(':')[1]?.trim()).sort()).toEqual(['API_KEY', 'SHARED_SECRET']);
    expect(p.stderr()).not.toContain('REPLACE-ME');
  });

  it('the relay on loopback without API_KEY: starts, with a warning', async () => {
    const p = relay({ HTTP_HOST: '127.0.0.1', SHARED_SECRET: TEST_SECRET });
    const warning = await p.waitForLog((l) => l.level === 40 && /no API_KEY/.test(String(l.msg)));
    expect(warning.host).toBe('127.0.0.1');
    await p.waitForLog((l) => l.msg === 'relay listening');
    await stopProcess(p);
  });

  it('the agent off loopback without SHARED_SECRET: refused in one line naming SHARED_SECRET', async () => {
    const lines = await refused(agent({ WS_HOST: '0.0.0.0', API_KEY: TEST_API_KEY }));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: SHARED_SECRET: required .*WS_HOST \(0\.0\.0\.0\) is not loopback only/);
  });

  it('the agent with a placeholder SHARED_SECRET or API_KEY: refused, naming each', async () => {
    const p = agent({ WS_HOST: '127.0.0.1', SHARED_SECRET: PLACEHOLDER_SECRET, API_KEY: PLACEHOLDER_KEY });
    const lines = await refused(p);
    expect(lines.map((l) => l.split(':')[1]?.trim()).sort()).toEqual(['API_KEY', 'SHARED_SECRET']);
    expect(p.stderr()).not.toContain('REPLACE-ME');
  });

  it('the relay and the agent with a SHARED_SECRET_FILE that does not exist: one config line naming it, no stack trace', async () => {
    const missing = join(dir, 'no-such-secret');
    for (const p of [relay({ HTTP_HOST: '127.0.0.1', SHARED_SECRET_FILE: missing }), agent({ WS_HOST: '127.0.0.1', SHARED_SECRET_FILE: missing })]) {
      const lines = await refused(p);
      expect(lines).toEqual([expect.stringMatching(/^config: SHARED_SECRET_FILE: cannot read .*no-such-secret/)]);
      // Nothing but that line: a thrown error would print its stack ("    at ...") after it.
      expect(p.stderr().trim().split('\n')).toEqual(lines);
    }
  });
});
