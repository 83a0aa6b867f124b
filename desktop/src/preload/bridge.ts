import { IPC, type BoilerBridge, type LiveEvent, type PairResult, type RelayAnswer, type ShellState } from './api.js';

/** The part of Electron's ipcRenderer the bridge uses (a recorder stands in for it in tests). */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/**
 * The renderer's API: each method one IPC call on a named channel. Listeners get the event's
 * payload only, never Electron's event object (it would hand the page `sender`).
 */
export function createBridge(ipc: IpcRendererLike): BoilerBridge {
  return {
    state: () => ipc.invoke(IPC.state) as Promise<ShellState>,
    pair: (input) => ipc.invoke(IPC.pair, input) as Promise<PairResult>,
    forget: async () => {
      await ipc.invoke(IPC.forget);
    },
    request: (request) => ipc.invoke(IPC.request, request) as Promise<RelayAnswer>,
    liveOpen: async () => {
      await ipc.invoke(IPC.liveOpen);
    },
    liveClose: async () => {
      await ipc.invoke(IPC.liveClose);
    },
    onLive: (listener) => {
      const wrapped = (_event: unknown, payload: unknown): void => listener(payload as LiveEvent);
      ipc.on(IPC.liveEvent, wrapped);
      return () => {
        ipc.removeListener(IPC.liveEvent, wrapped);
      };
    },
  };
}
