import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { KEYCHAIN_SERVICE, loadKeytar, openSecretStore } from '../../src/main/lib/secret-store.js';
import { FakeSafeStorage } from '../fakes/safe-storage.js';

// A session bus of its own with gnome-keyring unlocked on it (a fresh keyring in a temporary home),
// as on a desktop after login; this test process then talks to it through the real keytar.
let session: ChildProcess | undefined;
const home = mkdtempSync(join(tmpdir(), 'boiler-keyring-'));

beforeAll(async () => {
  const script = 'printf test-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null && echo "BUS=$DBUS_SESSION_BUS_ADDRESS" && exec sleep 600';
  session = spawn('dbus-run-session', ['--', 'sh', '-c', script], {
    env: { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_RUNTIME_DIR: home },
    stdio: ['ignore', 'pipe', 'ignore'],
    detached: true,
  });
  const stdout = session.stdout;
  if (stdout === null) throw new Error('no stdout from dbus-run-session');
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the session bus and keyring did not start in 20 s')), 20_000);
    createInterface({ input: stdout }).on('line', (line) => {
      if (!line.startsWith('BUS=')) return;
      clearTimeout(timer);
      resolve(line.slice(4));
    });
    session?.once('exit', (code) => reject(new Error(`dbus-run-session exited (${String(code)})`)));
  });
  process.env.DBUS_SESSION_BUS_ADDRESS = address;
});

afterAll(() => {
  if (session?.pid !== undefined) process.kill(-session.pid, 'SIGTERM');
  rmSync(home, { recursive: true, force: true });
});

describe('the secret store with a keyring', () => {
  it('keeps the key in the system keychain through the real keytar (service boiler-controller, account the relay), with no warning', async () => {
    const file = join(home, 'secrets.json');
    const store = await openSecretStore({ keytar: loadKeytar, safeStorage: new FakeSafeStorage(), file, platform: 'linux' });
    expect(store.kind).toBe('keychain');
    expect(store.warning).toBeNull();
    const relay = 'https://192.168.1.20:8443';
    expect(await store.get(relay)).toBeNull();
    await store.set(relay, 'the-key-0123456789');
    expect(await store.get(relay)).toBe('the-key-0123456789');
    // It is in the keyring under the documented service and account, read back by keytar itself.
    const keytar = await loadKeytar();
    expect(await keytar.getPassword(KEYCHAIN_SERVICE, relay)).toBe('the-key-0123456789');
    await store.delete(relay);
    expect(await store.get(relay)).toBeNull();
    expect(await keytar.findCredentials(KEYCHAIN_SERVICE)).toEqual([]);
  });
});
