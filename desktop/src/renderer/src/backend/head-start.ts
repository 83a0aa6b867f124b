/**
 * The live socket and the session check, begun as soon as the page's script starts to run.
 *
 * Evaluating Vue, zod, the shared schemas and the app takes a cold page 100-250 ms here before it
 * mounts; begun only then, the socket's connect and the relay's snapshot, and the session check,
 * came after all of it. Begun here they overlap it. Nothing is parsed or trusted here: the
 * BrowserBackend takes the socket over with everything it received so far (each message then
 * parsed by the shared schemas, as any other) and the check's answer (judged there too).
 *
 * This module imports nothing and main.ts imports it first, so it is the first code of the bundle
 * to run: that is why it acts on import, which the rest of the app never does.
 */

/** A live socket begun early, with what it did before the app took it over. */
export interface EarlySocket {
  url: string;
  ws: WebSocket;
  opened: boolean;
  /** Its messages and its close, in the order they came. */
  seen: (MessageEvent | CloseEvent)[];
}

let socket: EarlySocket | null = null;
let session: { url: string; answer: Promise<Response> } | null = null;

/** The live socket's and the session check's URLs for a page served from `origin` (http or https only). */
export function liveUrl(origin: string): string {
  return `${origin.replace(/^http/, 'ws')}/api/live`;
}

export function sessionUrl(origin: string): string {
  return `${origin}/api/session`;
}

/** Opens the socket and sends the check, for a page served over http(s) (not from a file in Electron). */
function begin(origin: string): void {
  if (!/^https?:\/\//.test(origin)) return;
  try {
    const early: EarlySocket = { url: liveUrl(origin), ws: new WebSocket(liveUrl(origin)), opened: false, seen: [] };
    early.ws.onopen = () => {
      early.opened = true;
    };
    early.ws.onmessage = (e: MessageEvent) => early.seen.push(e);
    early.ws.onclose = (e: CloseEvent) => early.seen.push(e);
    socket = early;
    const answer = fetch(sessionUrl(origin), { credentials: 'same-origin' });
    // Judged when taken; a failure not taken is nobody's to report.
    answer.catch(() => undefined);
    session = { url: sessionUrl(origin), answer };
  } catch {
    // The app opens its own when this could not.
  }
}

/** The early socket to `url`, once; null when there is none (or it was to another URL: then it is closed). */
export function takeEarlySocket(url: string): EarlySocket | null {
  const s = socket;
  socket = null;
  if (s === null || s.url === url) return s;
  s.ws.close(1000, 'not used');
  return null;
}

/** The early session check's answer from `url`, once; null when there is none. */
export function takeEarlySession(url: string): Promise<Response> | null {
  const s = session;
  session = null;
  return s !== null && s.url === url ? s.answer : null;
}

begin(window.location.origin);
