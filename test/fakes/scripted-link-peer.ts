import { Codec, message, type Message, type MessageOf, type MessageType, type PayloadOf } from '@boiler/shared';
import { linkProof, newNonce, nodeCompression, verifyLinkProof, type LinkSession } from '@boiler/service';
import type { MemorySocket } from './memory-socket.js';

// The far end of the relay link, written by hand for the in-process protocol tests: it speaks real
// frames through the real codec over an in-memory socket, can be told how to answer each message
// type, and can be asked what it received. ScriptedRelay stands where the relay would (against the
// agent's LinkServer), ScriptedAgent where the agent would (against the relay's AgentLink).

const codec = new Codec(nodeCompression);

/** How long a test waits for an expected frame before failing with what did arrive. */
const WAIT_MS = 2000;

export class ScriptedPeer {
  /** Every message received, decoded, in order. */
  readonly received: Message[] = [];
  /** Frames that did not decode (the codec's error codes). */
  readonly undecodable: string[] = [];
  closed: { code: number; reason: string } | null = null;
  private readonly answers = new Map<MessageType, (m: Message) => void>();
  private readonly waiters: { from: number; pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  private readonly closeWaiters: ((c: { code: number; reason: string }) => void)[] = [];

  constructor(
    readonly socket: MemorySocket,
    private readonly now: () => number = () => Date.now(),
  ) {
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      const decoded = codec.decode(isBinary ? new Uint8Array(data) : data.toString('utf8'));
      if (!decoded.ok) {
        this.undecodable.push(decoded.error.code);
        return;
      }
      const m = decoded.message;
      this.received.push(m);
      const index = this.received.length - 1;
      for (const w of [...this.waiters]) {
        if (index >= w.from && w.pred(m)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
      this.answers.get(m.type)?.(m);
    });
    socket.on('close', (code: number, reason: Buffer) => {
      this.closed = { code, reason: reason.toString() };
      for (const c of this.closeWaiters.splice(0)) c(this.closed);
    });
  }

  /** Sends a message; resolves once the other end has handled it (its message listeners ran). */
  send<T extends MessageType>(type: T, payload: PayloadOf<T>, meta: { id?: string } = {}): Promise<void> {
    return this.sendFrame(codec.encode(message(type, payload, { ts: this.now(), ...meta }) as Message));
  }

  /** Sends raw bytes or text as one frame (a forged, corrupt or oversized one). */
  sendFrame(frame: string | Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(frame, { binary: typeof frame !== 'string' }, (err) => (err === undefined ? resolve() : reject(err))));
  }

  /** From now on, answers every message of `type` with `respond` (replacing an earlier answer). */
  answer<T extends MessageType>(type: T, respond: (m: MessageOf<T>) => void): void {
    this.answers.set(type, respond as (m: Message) => void);
  }

  /** The messages of a type received so far. */
  all<T extends MessageType>(type: T): MessageOf<T>[] {
    return this.received.filter((m) => m.type === type) as MessageOf<T>[];
  }

  /** The first message of `type` (received before or after the call) that `pred` accepts. */
  waitFor<T extends MessageType>(type: T, pred: (m: MessageOf<T>) => boolean = () => true): Promise<MessageOf<T>> {
    return this.waitFrom(0, type, pred);
  }

  /** The next message of `type` that arrives after this call. */
  next<T extends MessageType>(type: T, pred: (m: MessageOf<T>) => boolean = () => true): Promise<MessageOf<T>> {
    return this.waitFrom(this.received.length, type, pred);
  }

  whenClosed(): Promise<{ code: number; reason: string }> {
    if (this.closed !== null) return Promise.resolve(this.closed);
    return this.withDeadline(new Promise((resolve) => this.closeWaiters.push(resolve)), 'the close');
  }

  private waitFrom<T extends MessageType>(from: number, type: T, pred: (m: MessageOf<T>) => boolean): Promise<MessageOf<T>> {
    const match = (m: Message) => m.type === type && pred(m as MessageOf<T>);
    const found = this.received.slice(from).find(match);
    if (found !== undefined) return Promise.resolve(found as MessageOf<T>);
    return this.withDeadline(new Promise<MessageOf<T>>((resolve) => this.waiters.push({ from, pred: match, resolve: resolve as (m: Message) => void })), type);
  }

  /** A missed frame fails the test in WAIT_MS (real time; the stepped clock is not involved) naming what did arrive. */
  private withDeadline<R>(p: Promise<R>, what: string): Promise<R> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const got = this.received.map((m) => m.type).join(', ');
        reject(new Error(`no ${what} within ${WAIT_MS} ms; received [${got}]${this.closed === null ? '' : `, closed ${this.closed.code}`}`));
      }, WAIT_MS);
    });
    return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
  }
}

/** The relay's side of the handshake and the stream, scripted, against the agent's LinkServer. */
export class ScriptedRelay extends ScriptedPeer {
  /** The session once the handshake ran (both nonces, both names). */
  session: LinkSession | null = null;

  /**
   * The relay's half of the handshake with `secret`: its nonce after the challenge, then (once the
   * agent's proof arrived and was checked here) its own proof. Resolves with whether the agent's
   * proof was right and the agent's last seq from auth_ok.
   */
  async handshake(secret: string, client = 'relay-under-test'): Promise<{ agentProofValid: boolean; lastSeq: number }> {
    const challenge = await this.waitFor('auth_challenge');
    this.session = { agentNonce: challenge.payload.nonce, relayNonce: newNonce(), agent: challenge.payload.agent, client };
    await this.send('auth_request', { nonce: this.session.relayNonce, client });
    const proof = await this.waitFor('auth_proof');
    const agentProofValid = verifyLinkProof(secret, 'agent->relay', this.session, proof.payload.mac);
    await this.send('auth_response', { mac: linkProof(secret, 'relay->agent', this.session) });
    const ok = await this.waitFor('auth_ok');
    return { agentProofValid, lastSeq: ok.payload.last_seq };
  }
}

/** The agent's side of the handshake and the stream, scripted, against the relay's AgentLink. */
export class ScriptedAgent extends ScriptedPeer {
  session: LinkSession | null = null;

  /** Sends the challenge and proves itself to the relay's nonce; resolves with the relay's request. */
  async challengeAndProve(secret: string, agent = 'house'): Promise<{ relayNonce: string }> {
    const agentNonce = newNonce();
    await this.send('auth_challenge', { nonce: agentNonce, agent });
    const request = await this.waitFor('auth_request');
    this.session = { agentNonce, relayNonce: request.payload.nonce, agent, client: request.payload.client };
    await this.send('auth_proof', { mac: linkProof(secret, 'agent->relay', this.session) });
    return { relayNonce: request.payload.nonce };
  }

  /**
   * The agent's whole handshake: challenge, its proof, the relay's proof checked here, then
   * auth_ok with `lastSeq`. Resolves with whether the relay's proof was right.
   */
  async handshake(secret: string, lastSeq: number, agent = 'house'): Promise<{ relayProofValid: boolean }> {
    await this.challengeAndProve(secret, agent);
    const response = await this.waitFor('auth_response');
    const relayProofValid = verifyLinkProof(secret, 'relay->agent', this.session as LinkSession, response.payload.mac);
    await this.send('auth_ok', { last_seq: lastSeq });
    return { relayProofValid };
  }
}
