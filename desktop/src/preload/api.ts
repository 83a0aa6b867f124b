/**
 * The shell's one API to the renderer: types and IPC channel names, shared by the main process,
 * the preload and the renderer's ElectronBackend. Type-only apart from the channel names, so the
 * sandboxed preload bundles nothing else.
 */

/** IPC channel names. `invoke` channels answer; `event` channels are pushed from main to the page. */
export const IPC = {
  state: 'boiler:state',
  pair: 'boiler:pair',
  forget: 'boiler:forget',
  request: 'boiler:request',
  liveOpen: 'boiler:live-open',
  liveClose: 'boiler:live-close',
  liveEvent: 'boiler:live-event',
} as const;

/** Where the API key is kept. */
export type SecretStorage = 'keychain' | 'encrypted-file' | 'none';

/** The pairing as the page may see it: never the key. */
export interface ShellState {
  paired: boolean;
  relay: string | null;
  fingerprint: string | null;
  storage: SecretStorage;
  /** Shown to the owner: why the key is not in the system keychain, or cannot be kept at all. */
  storageWarning: string | null;
  kiosk: boolean;
}

export interface PairInput {
  relay: string;
  key: string;
  fingerprint: string;
}

export type PairResult = { ok: true } | { ok: false; reason: string };

/** The relay routes the page may ask for; the main process adds the key and refuses any other. */
export type RelayMethod = 'GET' | 'POST';

export interface RelayRequest {
  method: RelayMethod;
  path: string;
  body?: unknown;
}

/** The relay's answer: its status and its JSON body (null when it was not JSON); status 0 when it was not reached. */
export interface RelayAnswer {
  status: number;
  body: unknown;
  /** Why the relay was not reached (status 0): a refused certificate says so here. */
  reason?: string;
}

/** Where the main process's live socket stands; `open` is the page's to say, on the first snapshot. */
export type LiveLinkState = 'connecting' | 'unreachable' | 'unauthorised';

/** Pushed on IPC.liveEvent: a message's text as the relay sent it (the page parses it), or a state. */
export type LiveEvent = { kind: 'message'; text: string } | { kind: 'state'; state: LiveLinkState; reason?: string };

/** The API the preload exposes to the renderer as `window.boiler` (listed in desktop/README.md). */
export interface BoilerBridge {
  state(): Promise<ShellState>;
  pair(input: PairInput): Promise<PairResult>;
  forget(): Promise<void>;
  request(request: RelayRequest): Promise<RelayAnswer>;
  liveOpen(): Promise<void>;
  liveClose(): Promise<void>;
  /** Calls `listener` with each live event; returns the function that stops it. */
  onLive(listener: (event: LiveEvent) => void): () => void;
}

/** The bridge's method names, in the documented order. */
export const BRIDGE_METHODS = ['state', 'pair', 'forget', 'request', 'liveOpen', 'liveClose', 'onLive'] as const satisfies readonly (keyof BoilerBridge)[];
