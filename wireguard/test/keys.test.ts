import { describe, expect, it } from 'vitest';
import { generateKeyPair, isWgKey, publicKeyOf } from '../src/keys.js';

describe('X25519 keys in wg form', () => {
  it('a fresh pair is two 32-byte base64 keys, the public one derived from the private one', () => {
    const a = generateKeyPair();
    const b = generateKeyPair();
    expect(isWgKey(a.privateKey) && isWgKey(a.publicKey)).toBe(true);
    expect(Buffer.from(a.privateKey, 'base64')).toHaveLength(32);
    expect(publicKeyOf(a.privateKey)).toBe(a.publicKey);
    expect(a.privateKey).not.toBe(b.privateKey);
  });

  it('matches RFC 7748 section 6.1 (Alice): the same derivation wg pubkey does', () => {
    const alicePrivate = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex').toString('base64');
    const alicePublic = Buffer.from('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a', 'hex').toString('base64');
    expect(publicKeyOf(alicePrivate)).toBe(alicePublic);
  });

  it('refuses what is not a key', () => {
    expect(isWgKey('abc')).toBe(false);
    expect(isWgKey(Buffer.alloc(31).toString('base64'))).toBe(false);
    expect(() => publicKeyOf('not a key')).toThrow(/not a WireGuard private key/);
  });
});
