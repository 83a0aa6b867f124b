import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, stopProcess, type RunningProcess } from '../support/processes.js';
import { AGENT_ENTRY, TEST_API_KEY, TEST_SECRET, getJson } from '../support/agent-process.js';

// The secrets as deployment hands them over (install-agent.sh's credentials on the Pi, Docker
// secrets on the NAS): API_KEY_FILE and SHARED_SECRET_FILE, held to the inline values' rules.

const dir = mkdtempSync(join(tmpdir(), 'boiler-secret-files-'));
const running: RunningProcess[] = [];
afterAll(async () => {
  for (const p of running) await stopProcess(p);
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

function start(part: 'agent' | 'relay', env: Record<string, string>): RunningProcess {
  const p = part === 'agent'
    ? startProcess(AGENT_ENTRY, { DB_PATH: join(dir, `agent-${running.length}.db`), WS_HOST: '127.0.0.1', WS_PORT: '0', HARDWARE: 'sim', ...env })
    : startProcess('nas-relay/src/main.ts', { DB_PATH: join(dir, `relay-${running.length}.db`), PI_WS_URL: 'ws://127.0.0.1:9/ws', HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', ...env });
  running.push(p);
  return p;
}

describe('API_KEY_FILE and SHARED_SECRET_FILE', () => {
  it('the agent and the relay take their API key from the file: the key opens the API, no other does', async () => {
    const secret = file('shared-secret', `${TEST_SECRET}\n`);
    const key = file('api-key', `${TEST_API_KEY}\n`);
    for (const part of ['agent', 'relay'] as const) {
      const p = start(part, { SHARED_SECRET_FILE: secret, API_KEY_FILE: key });
      const line = await p.waitForLog((l) => l.msg === `${part} listening`, 30_000);
      const url = `http://127.0.0.1:${String(line.port)}`;
      // A write needs the key (reads may be open on loopback): the file's key is accepted, another refused.
      const post = (k: string) => fetch(`${url}/api/commands`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${k}` }, body: '{}' });
      expect((await post('wrong-key-0123456789abcdef')).status, part).toBe(401);
      expect((await post(TEST_API_KEY)).status, part).toBe(400);
      expect((await getJson(url, '/health')).status).toBe(200);
      // No "no API_KEY" warning: the file counted.
      expect(p.lines.some((l) => /no API_KEY/.test(String(l.msg))), part).toBe(false);
      await stopProcess(p);
    }
  });

  it('a missing or placeholder API_KEY_FILE stops either part at start, one line naming it', async () => {
    const placeholder = file('placeholder-key', 'REPLACE-ME-not-a-real-api-key-use-openssl-rand-hex-32\n');
    for (const part of ['agent', 'relay'] as const) {
      for (const [path, expected] of [[join(dir, 'nope'), /^config: API_KEY_FILE: cannot read .*nope/], [placeholder, /^config: API_KEY_FILE: the secret in .*placeholder-key/]] as const) {
        const p = start(part, { SHARED_SECRET: TEST_SECRET, API_KEY_FILE: path });
        const { code } = await p.exited;
        expect(code, p.stderr()).toBe(2);
        expect(p.stderr().trim().split('\n'), part).toEqual([expect.stringMatching(expected)]);
      }
    }
  });
});
