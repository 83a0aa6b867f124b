import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SecretStoreError, loadKeytar, openSecretStore } from '../../src/main/lib/secret-store.js';
import { FakeSafeStorage } from '../fakes/safe-storage.js';

// A session bus address where nothing listens: the real keytar finds no Secret Service.
process.env.DBUS_SESSION_BUS_ADDRESS = `unix:path=${join(tmpdir(), 'boiler-no-bus-here')}`;

const RELAY = 'https://192.168.1.20:8443';

describe('the secret store without a keyring', () => {
  it('falls back from the real keytar to a safeStorage-encrypted file, with a warning, and round-trips there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boiler-secrets-'));
    const file = join(dir, 'secrets.json');
    const store = await openSecretStore({ keytar: loadKeytar, safeStorage: new FakeSafeStorage('gnome_libsecret'), file, platform: 'linux' });
    expect(store.kind).toBe('encrypted-file');
    expect(store.warning).toMatch(/^No system keychain answered \(.+\); the API key is kept in a file encrypted with Electron safeStorage/);
    await store.set(RELAY, 'the-key-0123456789');
    expect(await store.get(RELAY)).toBe('the-key-0123456789');
    expect(readFileSync(file, 'utf8')).not.toContain('the-key-0123456789');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await store.delete(RELAY);
    expect(await store.get(RELAY)).toBeNull();
  });

  it('falls back when keytar cannot be loaded at all (a missing native module)', async () => {
    const store = await openSecretStore({ keytar: () => import('keytar-that-is-not-installed' as string) as never, safeStorage: new FakeSafeStorage(), file: join(mkdtempSync(join(tmpdir(), 'boiler-secrets-')), 's.json'), platform: 'linux' });
    expect(store.kind).toBe('encrypted-file');
  });

  it("refuses safeStorage's plain-text backend: nothing is stored, and the reason is there to show", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boiler-secrets-'));
    const store = await openSecretStore({ keytar: loadKeytar, safeStorage: new FakeSafeStorage('basic_text'), file: join(dir, 's.json'), platform: 'linux' });
    expect(store.kind).toBe('none');
    expect(store.warning).toContain('plain-text');
    await expect(store.set(RELAY, 'k')).rejects.toThrow(SecretStoreError);
    expect(() => statSync(join(dir, 's.json'))).toThrow();
  });

  it('a secrets file it did not write is refused with the reason, not read', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boiler-secrets-'));
    writeFileSync(join(dir, 's.json'), JSON.stringify({ version: 1, secrets: { [RELAY]: 'plain key!' } }));
    const store = await openSecretStore({ keytar: loadKeytar, safeStorage: new FakeSafeStorage(), file: join(dir, 's.json'), platform: 'linux' });
    await expect(store.get(RELAY)).rejects.toThrow(/not one this app wrote/);
  });
});
