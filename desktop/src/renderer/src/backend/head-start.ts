/**
 * The live socket and the session check, begun as soon as the page's script starts to run.
 *
 * Evaluating Vue, zod, the shared schemas and the app takes a cold page 100-250 ms here before it
 * mounts; begun only then, the socket's connect and the relay's snapshot, and the session check,
 * came after all of it. Begun here they overlap it. Nothing is parsed or trusted here: main.ts
 * hands this to the BrowserBackend, which takes the socket over with everything it received so
 * far (each message then parsed by the shared schemas, as any other) and the check's answer
 * (judged there too).
 *
 * This module imports nothing and only main.ts imports it, first, in a chunk of its own
 * (electron.vite.config.ts), so it is the first code of the app to run: that is why it acts on
 * import, which the rest of the app never does.
 */

/** A live socket begun early, with what it did before the app took it over. */
export interface EarlySocket {
  url: string;
  ws: WebSocket;
  opened: boolean;
  /** Its messages and its close, in the order they came. */
  seen: (MessageEvent | CloseEvent)[];
}

/** What was begun early; each is handed over once, to a taker asking for the same URL. */
export interface HeadStart {
  /** The early socket to `url`; null when there is none (or it was to another URL: then it is closed). */
  takeSocket(url: string): EarlySocket | null;
  /** The early session check's answer from `url`; null when there is none. */
  takeSession(url: string): Promise<Response> | null;
}

/** Opens the socket and sends the check, for a page served over http(s) (not from a file in Electron). */
function begin(origin: string): HeadStart | null {
  if (!/^https?:\/\//.test(origin)) return null;
  let socket: EarlySocket | null = null;
  let session: { url: string; answer: Promise<Response> } | null = null;
  try {
    const url = `${origin.replace(/^http/, 'ws')}/api/live`;
    const early: EarlySocket = { url, ws: new WebSocket(url), opened: false, seen: [] };
    early.ws.onopen = () => {
      early.opened = true;
    };
    early.ws.onmessage = (e: MessageEvent) => early.seen.push(e);
    early.ws.onclose = (e: CloseEvent) => early.seen.push(e);
    socket = early;
    const answer = fetch(`${origin}/api/session`, { credentials: 'same-origin' });
    // Judged when taken; a failure never taken is nobody's to report.
    answer.catch(() => undefined);
    session = { url: `${origin}/api/session`, answer };
  } catch {
    // The app opens its own for what could not be begun here.
  }
  return {
    takeSocket(url) {
      const s = socket;
      socket = null;
      if (s === null || s.url === url) return s;
      s.ws.close(1000, 'not used');
      return null;
    },
    takeSession(url) {
      const s = session;
      session = null;
      return s !== null && s.url === url ? s.answer : null;
    },
  };
}

export const headStart: HeadStart | null = begin(window.location.origin);
