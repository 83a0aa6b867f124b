import { parseFingerprint, formatFingerprint } from '@boiler/service/tls';
import type { LiveEvent, PairInput, PairResult, RelayAnswer, RelayMethod, ShellState } from '../../preload/api.js';
import { RelayClient, relayOrigin, type LiveLink } from './relay-client.js';
import type { PairingFile } from './pairing.js';
import type { SecretStore } from './secret-store.js';

/** The route pairing asks with the key: the relay answers it only to a good key (401 otherwise). */
const PAIRING_PROBE = '/api/presets';

/**
 * The shell's state and the renderer's API behind IPC: the pairing (relay address and pin, in a
 * file; the key, in the secret store), the pinned client built from them, and a live link per page.
 */
export class Shell {
  private client: RelayClient | null = null;
  private relay: string | null = null;
  private fingerprint: string | null = null;
  private readonly links = new Map<number, LiveLink>();

  constructor(
    private readonly pairing: PairingFile,
    private readonly secrets: SecretStore,
    private readonly kiosk: boolean,
  ) {}

  /** Picks up a saved pairing whose key is still in the store. */
  async start(): Promise<void> {
    const saved = await this.pairing.load();
    if (saved === null) return;
    let key: string | null;
    try {
      key = await this.secrets.get(saved.relay);
    } catch {
      key = null;
    }
    if (key === null) return;
    try {
      this.use(saved.relay, saved.fingerprint, key);
    } catch {
      // A saved pairing that no longer parses: the owner pairs again.
    }
  }

  state(): ShellState {
    return {
      paired: this.client !== null,
      relay: this.relay,
      fingerprint: this.fingerprint,
      storage: this.secrets.kind,
      storageWarning: this.secrets.warning,
      kiosk: this.kiosk,
    };
  }

  /** Connects with all three, checks the pin and the key, and only then saves them. */
  async pair(input: PairInput): Promise<PairResult> {
    let origin: string;
    let fingerprint: string;
    try {
      origin = relayOrigin(input.relay.trim()).origin;
    } catch (err) {
      return { ok: false, reason: `The relay address is not usable: ${(err as Error).message}.` };
    }
    try {
      fingerprint = formatFingerprint(parseFingerprint(input.fingerprint.trim()));
    } catch {
      return { ok: false, reason: 'The fingerprint is not a SHA-256 fingerprint (64 hex digits, with or without colons), as the relay prints it on its first start.' };
    }
    const key = input.key.trim();
    const trial = new RelayClient({ relay: origin, fingerprint, key });
    let answer: RelayAnswer;
    try {
      answer = await trial.request('GET', PAIRING_PROBE);
    } finally {
      trial.close();
    }
    if (answer.status === 0) return { ok: false, reason: answer.reason ?? 'The relay cannot be reached.' };
    if (answer.status === 401 || answer.status === 403) return { ok: false, reason: 'The relay refused this API key.' };
    if (answer.status !== 200) return { ok: false, reason: `The relay answered ${answer.status}; is this the relay's address?` };
    try {
      await this.secrets.set(origin, key);
    } catch (err) {
      return { ok: false, reason: `The key could not be stored: ${(err as Error).message}` };
    }
    await this.pairing.save({ relay: origin, fingerprint });
    this.closeAll();
    this.use(origin, fingerprint, key);
    return { ok: true };
  }

  /** Forgets the pairing and its key; the page shows the pairing screen again. */
  async forget(): Promise<void> {
    const relay = this.relay;
    this.closeAll();
    this.client = null;
    this.relay = null;
    this.fingerprint = null;
    await this.pairing.clear();
    if (relay !== null) await this.secrets.delete(relay);
  }

  async request(method: RelayMethod, path: string, body?: unknown): Promise<RelayAnswer> {
    if (this.client === null) return { status: 401, body: { error: { code: 'not_paired', message: 'this app is not paired with a relay' } } };
    return this.client.request(method, path, body);
  }

  /** Opens the live link for page `pageId` (closing one it had); events go to `emit`. */
  liveOpen(pageId: number, emit: (event: LiveEvent) => void): void {
    this.liveClose(pageId);
    if (this.client === null) {
      emit({ kind: 'state', state: 'unauthorised' });
      return;
    }
    this.links.set(pageId, this.client.live(emit));
  }

  liveClose(pageId: number): void {
    this.links.get(pageId)?.close();
    this.links.delete(pageId);
  }

  /** Closes every live link and connection (the app is quitting, or the pairing changed). */
  closeAll(): void {
    for (const link of this.links.values()) link.close();
    this.links.clear();
    this.client?.close();
  }

  private use(relay: string, fingerprint: string, key: string): void {
    this.client = new RelayClient({ relay, fingerprint, key });
    this.relay = relay;
    this.fingerprint = fingerprint;
  }
}
