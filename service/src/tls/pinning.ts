import { Agent, type AgentOptions, type RequestOptions } from 'node:https';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import { CertificatePinError } from './errors.js';
import { derDigest, fingerprintMatches, formatFingerprint, parseFingerprint } from './fingerprint.js';

// Why not a checkServerIdentity alone: Node calls checkServerIdentity only after the chain has
// verified, so for a self-signed certificate it never runs; with rejectUnauthorized off, any
// certificate would then be accepted. The pin is checked here instead, on the finished
// handshake and before the socket is handed to anyone who could write a request on it.

/** How long a pinned connection may take to finish its TLS handshake. */
export const PINNED_HANDSHAKE_TIMEOUT_MS = 10_000;

/** Throws CertificatePinError unless the socket's server presented the certificate whose SHA-256 is `pin`. */
export function assertPinnedPeer(socket: TLSSocket, pin: Buffer): void {
  const raw = (socket.getPeerCertificate() as { raw?: Buffer } | null)?.raw;
  const expected = formatFingerprint(pin);
  if (raw === undefined || raw.length === 0) throw new CertificatePinError(expected, null);
  const presented = derDigest(raw);
  if (!fingerprintMatches(presented, pin)) throw new CertificatePinError(expected, formatFingerprint(presented));
}

/**
 * Opens a TLS connection and hands it over only once the handshake has finished and the
 * server's certificate has the pinned fingerprint; a mismatch, a failure or the deadline
 * destroys the socket and reports the error, with nothing written to it.
 */
function connectThenCheck(options: ConnectionOptions, pin: Buffer, handshakeTimeoutMs: number, done: (err: Error | null, socket: TLSSocket) => void): TLSSocket {
  const socket = connect({
    ...options,
    // The chain of a self-signed certificate cannot verify; the pin below replaces it.
    rejectUnauthorized: false,
  });
  const finish = (err: Error | null): void => {
    socket.off('secureConnect', onSecure);
    socket.off('error', onError);
    socket.off('timeout', onTimeout);
    socket.setTimeout(0);
    if (err !== null) {
      // Already reported through `done`; a late error of the dead socket must not go uncaught.
      socket.on('error', () => {});
      socket.destroy();
    }
    done(err, socket);
  };
  const onSecure = (): void => {
    try {
      assertPinnedPeer(socket, pin);
    } catch (err) {
      finish(err as Error);
      return;
    }
    finish(null);
  };
  const onError = (err: Error): void => finish(err);
  const onTimeout = (): void => finish(new Error(`TLS handshake with ${options.host ?? 'the server'}:${options.port ?? ''} took over ${handshakeTimeoutMs} ms`));
  socket.once('secureConnect', onSecure);
  socket.once('error', onError);
  socket.once('timeout', onTimeout);
  socket.setTimeout(handshakeTimeoutMs);
  return socket;
}

export interface PinnedConnectOptions extends ConnectionOptions {
  /** The server certificate's SHA-256 fingerprint (AB:CD:… or plain hex). */
  fingerprint: string;
  handshakeTimeoutMs?: number;
}

/** A raw TLS connection to a server whose certificate is pinned by fingerprint; resolves once it is checked. */
export function connectPinned(options: PinnedConnectOptions): Promise<TLSSocket> {
  const { fingerprint, handshakeTimeoutMs, ...tlsOptions } = options;
  const pin = parseFingerprint(fingerprint);
  return new Promise((resolve, reject) => {
    connectThenCheck(tlsOptions, pin, handshakeTimeoutMs ?? PINNED_HANDSHAKE_TIMEOUT_MS, (err, socket) => (err === null ? resolve(socket) : reject(err)));
  });
}

/** An https.Agent whose connections are handed to requests only after the pin has been checked. */
class PinnedAgent extends Agent {
  constructor(
    private readonly pin: Buffer,
    private readonly handshakeTimeoutMs: number,
    options: AgentOptions,
  ) {
    // No TLS session cache: every connection shows its certificate and is checked afresh.
    super({ ...options, maxCachedSessions: 0 });
  }

  override createConnection(options: RequestOptions, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    // Returning the socket would let the request write on it before the handshake is checked.
    if (callback === undefined) throw new TypeError('the pinned agent hands out connections only through its callback');
    connectThenCheck(options as ConnectionOptions, this.pin, this.handshakeTimeoutMs, callback);
    return undefined;
  }
}

/**
 * An agent for https.request, fetch-less Node clients and `ws` (`new WebSocket(url, { agent })`)
 * that accepts a server, self-signed or not, only when its certificate's SHA-256 fingerprint
 * equals `fingerprint` (compared in constant time); anything else fails the request before a
 * byte of it is sent. Throws TlsSetupError at once for a malformed fingerprint.
 */
export function pinnedAgent(fingerprint: string, options: AgentOptions & { handshakeTimeoutMs?: number } = {}): Agent {
  const { handshakeTimeoutMs, ...agentOptions } = options;
  return new PinnedAgent(parseFingerprint(fingerprint), handshakeTimeoutMs ?? PINNED_HANDSHAKE_TIMEOUT_MS, agentOptions);
}
