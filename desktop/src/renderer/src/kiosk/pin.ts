import { z } from 'zod';

/*
 * The kiosk's PIN is a casual lock against a passer-by at the wall, not a security boundary: it
 * lives in this device's localStorage, and anyone with the device's keyboard or its files gets
 * past it. It is kept as a salted PBKDF2 hash only so that it is not lying there in plain digits.
 * The API key and the relay's session are what guard the house.
 */

/** A PIN: four to eight digits. */
export const PIN_PATTERN = /^\d{4,8}$/;

/** How the PIN is kept: salt and hash in hex. */
export const StoredPin = z.object({
  algorithm: z.literal('PBKDF2-SHA-256'),
  iterations: z.number().int().min(1).max(10_000_000),
  salt: z.string().regex(/^[0-9a-f]{32}$/),
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type StoredPin = z.infer<typeof StoredPin>;

/** Enough iterations to make a guess cost a few ms here; the lock is casual all the same. */
export const PIN_ITERATIONS = 100_000;

/** The Web Crypto the page has (the browser's, or Node's in tests), named so for both type libraries. */
type WebCrypto = typeof globalThis.crypto;
type Subtle = WebCrypto['subtle'];

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function unhex(text: string): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

async function derive(subtle: Subtle, pin: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<string> {
  const key = await subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, ['deriveBits']);
  const bits = await subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations }, key, 256);
  return hex(new Uint8Array(bits));
}

/** The PIN salted and hashed for keeping; throws on a PIN that is not four to eight digits. */
export async function hashPin(pin: string, options: { crypto?: WebCrypto; iterations?: number } = {}): Promise<StoredPin> {
  if (!PIN_PATTERN.test(pin)) throw new RangeError('a PIN is four to eight digits');
  const c = options.crypto ?? globalThis.crypto;
  const iterations = options.iterations ?? PIN_ITERATIONS;
  const salt = c.getRandomValues(new Uint8Array(16));
  return { algorithm: 'PBKDF2-SHA-256', iterations, salt: hex(salt), hash: await derive(c.subtle, pin, salt, iterations) };
}

/** Whether `pin` is the one kept in `stored`. */
export async function pinMatches(pin: string, stored: StoredPin, subtle: Subtle = globalThis.crypto.subtle): Promise<boolean> {
  if (!PIN_PATTERN.test(pin)) return false;
  const got = await derive(subtle, pin, unhex(stored.salt), stored.iterations);
  // Same length, compared whole: no early exit to time (casual as the lock is).
  let diff = 0;
  for (let i = 0; i < got.length; i++) diff |= got.charCodeAt(i) ^ stored.hash.charCodeAt(i);
  return diff === 0 && got.length === stored.hash.length;
}
