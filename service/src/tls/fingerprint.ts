import { X509Certificate, createHash, timingSafeEqual } from 'node:crypto';
import { TlsSetupError } from './errors.js';

/** "AB:CD:…": colon-separated upper-case hex, as browsers and `openssl x509 -fingerprint` print it. */
function colonHex(bytes: Buffer): string {
  return bytes.toString('hex').toUpperCase().match(/../g)?.join(':') ?? '';
}

/** The SHA-256 fingerprint of DER certificate bytes, as colon-separated upper-case hex. */
export function derFingerprint(der: Buffer): string {
  return colonHex(derDigest(der));
}

/** The SHA-256 fingerprint of a certificate (PEM text, PEM or DER bytes, or parsed): of its DER encoding. */
export function certificateFingerprint(cert: string | Buffer | X509Certificate): string {
  const x509 = cert instanceof X509Certificate ? cert : new X509Certificate(cert);
  return derFingerprint(x509.raw);
}

/**
 * The 32 bytes of a SHA-256 fingerprint written with or without colons, in either case.
 * Throws TlsSetupError for anything else, so a mistyped pin fails at start, not at connect.
 */
export function parseFingerprint(text: string): Buffer {
  const hex = text.trim().replace(/:/g, '');
  if (!/^[0-9A-Fa-f]{64}$/.test(hex)) {
    throw new TlsSetupError(`not a SHA-256 certificate fingerprint (expected 32 hex bytes such as AB:CD:…): ${JSON.stringify(text.slice(0, 120))}`);
  }
  return Buffer.from(hex, 'hex');
}

/** Whether a fingerprint equals a pinned one, compared in constant time. */
export function fingerprintMatches(presented: Buffer, pinned: Buffer): boolean {
  return presented.length === pinned.length && timingSafeEqual(presented, pinned);
}

/** The raw SHA-256 digest of DER certificate bytes. */
export function derDigest(der: Buffer): Buffer {
  return createHash('sha256').update(der).digest();
}

/** Formats fingerprint bytes as colon-separated upper-case hex. */
export function formatFingerprint(bytes: Buffer): string {
  return colonHex(bytes);
}
