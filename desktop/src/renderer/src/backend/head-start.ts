/**
 * The live socket and the session check, begun as soon as the page's script starts to run.
 *
 * Evaluating Vue, zod, the shared schemas and the app takes a cold page 100-250 ms here before it
 * mounts; begun only then, the socket's connect and the relay's snapshot, and the session check,
 * came after all of it (and after the browser compiled every chunk). Begun here they overlap it.
 * Nothing is parsed or trusted here: main.ts hands `window.boilerHeadStart` to the
 * BrowserBackend, which takes the socket over with everything it received so far (each message
 * then parsed by the shared schemas, as any other) and the check's answer (judged there too).
 *
 * The build makes this file a plain script of its own (head-start.js, no imports, no exports),
 * loaded by a classic script tag ahead of the module scripts (electron.vite.config.ts), so it runs
 * before the app's chunks are even compiled: that is why it acts when loaded, which the rest of
 * the app never does. main.ts imports only its types.
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

declare global {
  interface Window {
    /** Set by head-start.js before the app runs; null when it began nothing (a page from a file). */
    boilerHeadStart?: HeadStart | null;
  }
}

/**
 * Opens the socket and sends the check, for a page served over http(s) (not from a file in
 * Electron). A function expression called at once: the classic script declares no globals of its own.
 */
window.boilerHeadStart = (function begin(origin: string): HeadStart | null {
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
})(window.location.origin);
