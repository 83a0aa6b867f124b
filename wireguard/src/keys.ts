import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';

// WireGuard keys are raw 32-byte Curve25519 keys in standard base64 (what `wg genkey` and
// `wg pubkey` print). Node makes and derives them itself (X25519), so nothing shells out to wg.

export interface KeyPair {
  privateKey: string;
  publicKey: string;
}

const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const KEY_PATTERN = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

function fromB64url(s: string): string {
  return Buffer.from(s, 'base64url').toString('base64');
}

function rawPublic(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  if (jwk.x === undefined) throw new Error('X25519 key without its public part');
  return fromB64url(jwk.x);
}

/** A fresh X25519 pair as wg writes it. */
export function generateKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  const jwk = privateKey.export({ format: 'jwk' });
  if (jwk.d === undefined) throw new Error('X25519 key without its private part');
  return { privateKey: fromB64url(jwk.d), publicKey: rawPublic(publicKey) };
}

/** True for a 32-byte key in wg's base64 (44 characters, the last byte's padding bits clear). */
export function isWgKey(text: string): boolean {
  return KEY_PATTERN.test(text) && Buffer.from(text, 'base64').length === 32;
}

/** The public key of a wg private key (like `wg pubkey`). */
export function publicKeyOf(privateKey: string): string {
  if (!isWgKey(privateKey)) throw new Error('not a WireGuard private key (32 bytes in base64)');
  // A PKCS#8 wrapper around the raw scalar (RFC 8410), the form createPrivateKey reads.
  const der = Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(privateKey, 'base64')]);
  return rawPublic(createPublicKey(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' })));
}
