import { describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IPC, type LiveEvent } from '../../src/preload/api.js';
import { IpcRefused, isAppFrame, registerIpc, type IpcEventLike, type IpcMainLike } from '../../src/main/lib/ipc.js';
import { allowedRoute } from '../../src/main/lib/ipc-schemas.js';
import { PairingFile } from '../../src/main/lib/pairing.js';
import { Shell } from '../../src/main/lib/shell.js';
import { EncryptedFileStore } from '../../src/main/lib/secret-store.js';
import { FakeSafeStorage } from '../fakes/safe-storage.js';

const APP = 'file:///opt/boiler/resources/app.asar/out/renderer/index.html';

/** ipcMain as far as the shell uses it: records the handlers so a test can call them as a frame would. */
class RecordingIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, (event: IpcEventLike, ...args: unknown[]) => unknown>();
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
  async call(channel: string, frame: IpcEventLike['senderFrame'], ...args: unknown[]): Promise<unknown> {
    const h = this.handlers.get(channel);
    if (h === undefined) throw new Error(`no handler for ${channel}`);
    return h({ senderFrame: frame, sender: { id: 1 } }, ...args);
  }
}

function setUp(): { ipc: RecordingIpcMain; pushed: LiveEvent[]; unregister: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-ipc-'));
  const shell = new Shell(new PairingFile(join(dir, 'pairing.json')), new EncryptedFileStore(join(dir, 's.json'), new FakeSafeStorage(), 'test'), true);
  const ipc = new RecordingIpcMain();
  const pushed: LiveEvent[] = [];
  const unregister = registerIpc(ipc, shell, APP, (_id, e) => pushed.push(e));
  return { ipc, pushed, unregister };
}

const appFrame = { url: `${APP}?kiosk=1#/zones/Z1`, parent: null };

describe('IPC', () => {
  it('handles every channel the preload calls, and unregisters them all', () => {
    const { ipc, unregister } = setUp();
    expect([...ipc.handlers.keys()].sort()).toEqual(Object.values(IPC).filter((c) => c !== IPC.liveEvent).sort());
    unregister();
    expect(ipc.handlers.size).toBe(0);
  });

  it("answers the app's own top frame", async () => {
    const { ipc, pushed } = setUp();
    expect(await ipc.call(IPC.state, appFrame)).toMatchObject({ paired: false, kiosk: true, storage: 'encrypted-file' });
    expect(await ipc.call(IPC.request, appFrame, { method: 'GET', path: '/api/presets' })).toMatchObject({ status: 401 });
    await ipc.call(IPC.liveOpen, appFrame);
    expect(pushed).toEqual([{ kind: 'state', state: 'unauthorised' }]);
  });

  it('refuses a call from another frame: another page, another file, an iframe of the app, a frame gone', async () => {
    const { ipc } = setUp();
    const others = [
      { url: 'https://evil.example/', parent: null },
      { url: 'file:///tmp/evil.html', parent: null },
      { url: APP, parent: { url: APP } },
      { url: 'about:blank', parent: null },
      null,
    ];
    for (const frame of others) {
      for (const channel of [IPC.state, IPC.pair, IPC.request, IPC.liveOpen, IPC.forget]) {
        await expect(ipc.call(channel, frame, { relay: 'x', key: 'y', fingerprint: 'z' }), `${channel} from ${frame?.url ?? 'null'}`).rejects.toThrow(IpcRefused);
      }
    }
    expect(isAppFrame(appFrame, 'http://localhost:5173/')).toBe(false);
    expect(isAppFrame({ url: 'http://localhost:5173/#/', parent: null }, 'http://localhost:5173/')).toBe(true);
  });

  it('parses every argument: extra fields, wrong types, extra arguments and routes the app does not use are refused', async () => {
    const { ipc } = setUp();
    const bad: [string, unknown[]][] = [
      [IPC.pair, [{ relay: 'https://r', key: 'k', fingerprint: 'f', extra: 1 }]],
      [IPC.pair, [{ relay: 'https://r', key: 5, fingerprint: 'f' }]],
      [IPC.pair, []],
      [IPC.state, ['surplus']],
      [IPC.request, [{ method: 'DELETE', path: '/api/commands' }]],
      [IPC.request, [{ method: 'GET', path: '/api/link' }]],
      [IPC.request, [{ method: 'GET', path: 'https://evil.example/api/presets' }]],
      [IPC.request, [{ method: 'GET', path: '/api/zones/../../etc/history' }]],
      [IPC.request, [{ method: 'GET', path: '/api/presets', body: {} }]],
    ];
    for (const [channel, args] of bad) await expect(ipc.call(channel, appFrame, ...args), `${channel} ${JSON.stringify(args)}`).rejects.toThrow(IpcRefused);
    expect(allowedRoute('GET', '/api/zones/Z1/history?from=1&to=2&points=300')).toBe(true);
    expect(allowedRoute('GET', '/api/events?zone=Z1&event=ON%2COFF&limit=50')).toBe(true);
    expect(allowedRoute('POST', '/api/commands/6f1c2b7e-1b2a-4c3d-9e8f-0a1b2c3d4e5f/retry')).toBe(true);
    expect(allowedRoute('GET', '/api/events?x=<script>')).toBe(false);
    expect(allowedRoute('GET', '/api/notify')).toBe(true);
    expect(allowedRoute('POST', '/api/notify/channels/phone-1/test')).toBe(true);
    expect(allowedRoute('POST', '/api/notify/channels/..%2Fx/test')).toBe(false);
  });
});
