import type { z } from 'zod';
import { IPC, type LiveEvent } from '../../preload/api.js';
import type { Shell } from './shell.js';
import { NoArgs, PairArgs, RequestArgs } from './ipc-schemas.js';

/** The part of an IPC event the check reads: the frame that sent it. */
export interface IpcEventLike {
  senderFrame: { url: string; parent: unknown } | null;
  sender: { id: number };
}

/** The part of Electron's ipcMain the shell uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

/** A call the main process refused: from a frame that is not the app's, or with arguments of no known shape. */
export class IpcRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpcRefused';
  }
}

/**
 * Whether a frame is the app's own top frame: its URL is the app's page (the built index.html as a
 * file, or the dev server in development), and it has no parent (no iframe, whatever its URL).
 */
export function isAppFrame(frame: IpcEventLike['senderFrame'], appUrl: string): boolean {
  if (frame === null || frame.parent !== null) return false;
  let url: URL;
  let app: URL;
  try {
    url = new URL(frame.url);
    app = new URL(appUrl);
  } catch {
    return false;
  }
  if (app.protocol === 'file:') return url.protocol === 'file:' && url.pathname === app.pathname;
  return url.origin === app.origin;
}

/**
 * Registers the shell's handlers: every call's sending frame checked, every argument parsed,
 * and one live feed per page (web contents) pushed back on IPC.liveEvent.
 */
export function registerIpc(ipc: IpcMainLike, shell: Shell, appUrl: string, pushLive: (senderId: number, event: LiveEvent) => void): () => void {
  function on<A extends z.ZodType<unknown[]>>(channel: string, args: A, run: (event: IpcEventLike, parsed: z.infer<A>) => unknown): void {
    ipc.handle(channel, (event, ...raw) => {
      if (!isAppFrame(event.senderFrame, appUrl)) throw new IpcRefused(`refused ${channel}: the sending frame (${event.senderFrame?.url ?? 'gone'}) is not the app's page`);
      const parsed = args.safeParse(raw);
      if (!parsed.success) throw new IpcRefused(`refused ${channel}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      return run(event, parsed.data);
    });
  }
  on(IPC.state, NoArgs, () => shell.state());
  on(IPC.pair, PairArgs, (_e, [input]) => shell.pair(input));
  on(IPC.forget, NoArgs, () => shell.forget());
  on(IPC.request, RequestArgs, (_e, [req]) => shell.request(req.method, req.path, req.body));
  on(IPC.liveOpen, NoArgs, (e) => shell.liveOpen(e.sender.id, (ev) => pushLive(e.sender.id, ev)));
  on(IPC.liveClose, NoArgs, (e) => shell.liveClose(e.sender.id));
  return () => {
    for (const channel of [IPC.state, IPC.pair, IPC.forget, IPC.request, IPC.liveOpen, IPC.liveClose]) ipc.removeHandler(channel);
  };
}
