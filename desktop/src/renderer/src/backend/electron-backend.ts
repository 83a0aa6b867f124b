import { LiveServerMessage, MAX_NESTING_DEPTH, nestsDeeperThan } from '@boiler/shared';
import type { BoilerBridge, LiveEvent } from '../../../preload/api';
import { RelayRest, type RelayAnswer, type RestMethod } from './relay-rest';
import type { Backend, LiveFeed, LiveHandlers, SignInResult } from './backend';

declare global {
  interface Window {
    /** The Electron shell's preload API (desktop/src/preload); absent in a browser. */
    boiler?: BoilerBridge;
  }
}


/**
 * The Electron shell's Backend: every request and the live feed go through the preload to the
 * main process, which holds the key and the pinned TLS connection; the page sees neither. Answers
 * are parsed here by the shared schemas, as the browser's are. Signing in is pairing
 * (PairingView): signIn only asks whether the shell is paired; signOut forgets the pairing.
 */
export class ElectronBackend extends RelayRest implements Backend {
  constructor(private readonly bridge: BoilerBridge) {
    super();
  }

  async hasSession(): Promise<boolean> {
    try {
      return (await this.bridge.state()).paired;
    } catch {
      return false;
    }
  }

  async signIn(): Promise<SignInResult> {
    return (await this.hasSession()) ? 'signed_in' : 'wrong_key';
  }

  async signOut(): Promise<void> {
    await this.bridge.forget();
  }











  /**
   * CSV downloads need the key, which the page does not have, and the window loads nothing from
   * the relay: not offered in the shell yet (a download through the main process is to come).
   */
  exportUrl(): string {
    return 'about:blank';
  }

  live(handlers: LiveHandlers): LiveFeed {
    let closed = false;
    const stop = this.bridge.onLive((event: LiveEvent) => {
      if (closed) return;
      if (event.kind === 'state') {
        handlers.state(event.state);
        return;
      }
      let raw: unknown;
      try {
        raw = JSON.parse(event.text);
      } catch {
        return;
      }
      if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) return;
      const parsed = LiveServerMessage.safeParse(raw);
      if (!parsed.success) return;
      if (parsed.data.type === 'snapshot') handlers.state('open');
      handlers.message(parsed.data);
    });
    handlers.state('connecting');
    void this.bridge.liveOpen();
    return {
      close: () => {
        closed = true;
        stop();
        void this.bridge.liveClose();
      },
    };
  }

  protected async send(method: RestMethod, path: string, body?: unknown): Promise<RelayAnswer> {
    const answer = await this.bridge.request(body === undefined ? { method, path } : { method, path, body });
    return { status: answer.status, body: answer.body, reason: answer.reason };
  }
}

/** The shell's preload API, for the pairing screen; null in a browser. */
export function shellBridge(): BoilerBridge | null {
  return window.boiler ?? null;
}
