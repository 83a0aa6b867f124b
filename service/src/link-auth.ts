import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 32-byte challenge, as hex. */
export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

/** The answer to a challenge: HMAC-SHA256(secret, nonce ":" client), as hex. The secret never travels. */
export function linkMac(secret: string, nonce: string, client: string): string {
  return createHmac('sha256', secret).update(`${nonce}:${client}`).digest('hex');
}

/** Whether a received MAC answers the challenge, compared in constant time. */
export function verifyLinkMac(secret: string, nonce: string, client: string, mac: string): boolean {
  const expected = Buffer.from(linkMac(secret, nonce, client), 'hex');
  const given = Buffer.from(mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/** Compares two API keys in constant time. */
export function sameKey(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  // Compare against itself when lengths differ, so timing does not reveal the length either.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(b, b);
}
