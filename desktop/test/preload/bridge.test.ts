import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BRIDGE_METHODS, IPC } from '../../src/preload/api.js';
import { createBridge, type IpcRendererLike } from '../../src/preload/bridge.js';

/** ipcRenderer as the bridge uses it: records what is invoked and who listens. */
class RecordingIpcRenderer implements IpcRendererLike {
  readonly invoked: [string, unknown[]][] = [];
  readonly listeners = new Map<string, ((event: unknown, ...args: unknown[]) => void)[]>();
  invoke(channel: string, ...args: unknown[]): Promise<unknown> {
    this.invoked.push([channel, args]);
    return Promise.resolve(null);
  }
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
    this.listeners.set(channel, [...(this.listeners.get(channel) ?? []), listener]);
  }
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): void {
    this.listeners.set(channel, (this.listeners.get(channel) ?? []).filter((l) => l !== listener));
  }
}

/** The API as desktop/README.md documents it: the names in its table under "The preload's API". */
function documentedApi(): string[] {
  const readme = readFileSync(join(import.meta.dirname, '../../README.md'), 'utf8');
  const section = readme.split(/^## /m).find((s) => s.startsWith("The preload's API"));
  if (section === undefined) throw new Error("desktop/README.md has no section \"The preload's API\"");
  return [...section.matchAll(/^\| `window\.boiler\.(\w+)\(/gm)].map((m) => m[1] as string);
}

describe("the preload's API", () => {
  it('is exactly the documented list, each method on its own channel', async () => {
    const ipc = new RecordingIpcRenderer();
    const bridge = createBridge(ipc);
    expect(Object.keys(bridge)).toEqual(documentedApi());
    expect(Object.keys(bridge)).toEqual([...BRIDGE_METHODS]);
    await bridge.state();
    await bridge.pair({ relay: 'https://r:1', key: 'k', fingerprint: 'f' });
    await bridge.forget();
    await bridge.request({ method: 'GET', path: '/api/presets' });
    await bridge.liveOpen();
    await bridge.liveClose();
    expect(ipc.invoked).toEqual([
      [IPC.state, []],
      [IPC.pair, [{ relay: 'https://r:1', key: 'k', fingerprint: 'f' }]],
      [IPC.forget, []],
      [IPC.request, [{ method: 'GET', path: '/api/presets' }]],
      [IPC.liveOpen, []],
      [IPC.liveClose, []],
    ]);
  });

  it("passes live events' payloads only (never Electron's event), and stops when asked", () => {
    const ipc = new RecordingIpcRenderer();
    const seen: unknown[] = [];
    const stop = createBridge(ipc).onLive((e) => seen.push(e));
    const [listener] = ipc.listeners.get(IPC.liveEvent) ?? [];
    listener?.({ sender: 'electron internals' }, { kind: 'state', state: 'connecting' });
    expect(seen).toEqual([{ kind: 'state', state: 'connecting' }]);
    stop();
    expect(ipc.listeners.get(IPC.liveEvent)).toEqual([]);
  });
});
