import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDotenv } from '@boiler/shared';
import { RelayEnv } from '../../src/config.js';

const KEY = 'a-real-looking-key-0123456789';
const SECRET = 'a-real-looking-secret-0123456789';
const example = parseDotenv(readFileSync(join(import.meta.dirname, '..', '..', '.env.example'), 'utf8'));

/** The problems the relay's config check reports for this environment (empty: it starts). */
function problems(env: Record<string, string>): string[] {
  try {
    loadConfig(RelayEnv, env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
}

describe('relay access keys', () => {
  it.each(['0.0.0.0', '::', '10.77.0.1', 'nas.local'])('refuses to start on %s without API_KEY, in one line naming it', (host) => {
    const found = problems({ HTTP_HOST: host, SHARED_SECRET: SECRET });
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(/^API_KEY: required when HTTP_HOST .* is not loopback only/);
  });

  it.each(['127.0.0.1', 'localhost', '::1', '[::1]'])('starts on %s without API_KEY (main.ts warns)', (host) => {
    expect(problems({ HTTP_HOST: host, SHARED_SECRET: SECRET })).toEqual([]);
  });

  it('starts off loopback with a real key', () => {
    expect(problems({ HTTP_HOST: '0.0.0.0', API_KEY: KEY, SHARED_SECRET: SECRET })).toEqual([]);
  });

  it("refuses .env.example's placeholders for API_KEY and SHARED_SECRET, whatever their length, without echoing them", () => {
    expect(example.API_KEY).toMatch(/^REPLACE-ME/);
    expect(example.SHARED_SECRET).toMatch(/^REPLACE-ME/);
    const found = problems({ HTTP_HOST: '127.0.0.1', API_KEY: example.API_KEY ?? '', SHARED_SECRET: example.SHARED_SECRET ?? '' });
    expect(found.map((p) => p.split(':')[0]).sort()).toEqual(['API_KEY', 'SHARED_SECRET']);
    for (const p of found) {
      expect(p).toMatch(/placeholder/);
      expect(p).not.toContain('REPLACE-ME');
    }
    // Made longer or in another case, a placeholder is still one.
    expect(problems({ API_KEY: `replace-me-${'x'.repeat(100)}`, SHARED_SECRET: SECRET })).toHaveLength(1);
    expect(problems({ API_KEY: KEY, SHARED_SECRET: 'Change-Me-please-0123456789' })).toHaveLength(1);
  });
});
