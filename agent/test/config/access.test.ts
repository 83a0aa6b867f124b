import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '@boiler/shared';
import { readSecret } from '@boiler/service';
import { AgentEnv } from '../../src/config.js';

const SECRET = 'a-real-looking-secret-0123456789';
const PLACEHOLDER = 'REPLACE-ME-not-a-real-secret-use-openssl-rand-hex-32';
const dir = mkdtempSync(join(tmpdir(), 'boiler-agent-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(AgentEnv, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('agent link secret', () => {
  it.each(['0.0.0.0', '10.77.0.2'])('refuses to start on %s without SHARED_SECRET, in one line naming it', (host) => {
    const found = problems({ WS_HOST: host });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^SHARED_SECRET: required .*WS_HOST .* is not loopback only/);
  });

  it('starts off loopback with SHARED_SECRET or SHARED_SECRET_FILE, and on loopback without either', () => {
    expect(problems({ WS_HOST: '0.0.0.0', SHARED_SECRET: SECRET })).toEqual([]);
    expect(problems({ WS_HOST: '0.0.0.0', SHARED_SECRET_FILE: '/run/credentials/secret' })).toEqual([]);
    expect(problems({ WS_HOST: '127.0.0.1' })).toEqual([]);
  });

  it('refuses the placeholders for SHARED_SECRET and API_KEY, inline or in SHARED_SECRET_FILE', () => {
    const found = problems({ SHARED_SECRET: PLACEHOLDER, API_KEY: PLACEHOLDER.replace('secret', 'api-key') });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['API_KEY', 'SHARED_SECRET']);
    expect(found.join('\n')).not.toContain('REPLACE-ME');

    const file = join(dir, 'secret');
    writeFileSync(file, `${PLACEHOLDER}\n`);
    expect(() => readSecret(undefined, file)).toThrow(ConfigError);
    expect(() => readSecret(undefined, file)).toThrow(/SHARED_SECRET_FILE: .*placeholder/);
    writeFileSync(file, 'short\n');
    expect(() => readSecret(undefined, file)).toThrow(/SHARED_SECRET_FILE: .*at least 16/);
    writeFileSync(file, `${SECRET}\n`);
    expect(readSecret(undefined, file)).toBe(SECRET);
    expect(() => readSecret(undefined, join(dir, 'missing'))).toThrow(/SHARED_SECRET_FILE: cannot read/);
  });
});
