import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hashPin, pinMatches, PIN_ITERATIONS, StoredPin } from '../../../src/renderer/src/kiosk/pin.js';

const crypto = webcrypto as unknown as typeof globalThis.crypto;

describe('PIN hashing', () => {
  it('keeps a salted PBKDF2 hash that the same PIN matches and another does not', async () => {
    const stored = await hashPin('4711', { crypto });
    expect(StoredPin.parse(stored)).toEqual(stored);
    expect(stored.iterations).toBe(PIN_ITERATIONS);
    expect(JSON.stringify(stored)).not.toContain('4711');
    expect(await pinMatches('4711', stored, crypto.subtle)).toBe(true);
    expect(await pinMatches('4712', stored, crypto.subtle)).toBe(false);
    expect(await pinMatches('47110', stored, crypto.subtle)).toBe(false);
  });

  it('salts each hash: the same PIN twice gives two different hashes, both matching', async () => {
    const a = await hashPin('123456', { crypto, iterations: 1000 });
    const b = await hashPin('123456', { crypto, iterations: 1000 });
    expect(a.salt).not.toBe(b.salt);
    expect(a.hash).not.toBe(b.hash);
    expect(await pinMatches('123456', a, crypto.subtle)).toBe(true);
    expect(await pinMatches('123456', b, crypto.subtle)).toBe(true);
  });

  it('is the PBKDF2-SHA-256 of the PIN under its salt (a known vector, so the format stays readable)', async () => {
    const salt = '000102030405060708090a0b0c0d0e0f';
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('0000'), 'PBKDF2', false, ['deriveBits']);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: Uint8Array.from({ length: 16 }, (_, i) => i), iterations: 10 }, key, 256));
    const hash = Buffer.from(bits).toString('hex');
    expect(await pinMatches('0000', { algorithm: 'PBKDF2-SHA-256', iterations: 10, salt, hash }, crypto.subtle)).toBe(true);
    expect(await pinMatches('0001', { algorithm: 'PBKDF2-SHA-256', iterations: 10, salt, hash }, crypto.subtle)).toBe(false);
  });

  it('refuses to hash what is not four to eight digits, and never matches it', async () => {
    for (const bad of ['', '123', '123456789', '12a4', ' 1234']) await expect(hashPin(bad, { crypto })).rejects.toThrow(RangeError);
    const stored = await hashPin('1234', { crypto, iterations: 1000 });
    expect(await pinMatches('123', stored, crypto.subtle)).toBe(false);
  });

  it('a stored record that is not one (edited by hand) does not parse', () => {
    expect(StoredPin.safeParse({ algorithm: 'PBKDF2-SHA-256', iterations: 10, salt: 'zz', hash: 'x' }).success).toBe(false);
    expect(StoredPin.safeParse('1234').success).toBe(false);
  });
});
