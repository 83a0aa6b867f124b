import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A fresh 32-byte challenge, as hex. */
export function newNonce(): string {
  return randomBytes(32).toString('hex');
}

/** Which way a proof goes: each side signs with its own label, so neither proof can be reflected back as the other. */
export type LinkDirection = 'agent->relay' | 'relay->agent';

/** What both proofs of one link session cover: both fresh nonces and both names. */
export interface LinkSession {
  /** The agent's nonce, from its auth_challenge. */
  agentNonce: string;
  /** The relay's nonce, from its auth_request. */
  relayNonce: string;
  agent: string;
  client: string;
}

/**
 * A side's proof that it knows the shared secret, bound to this session: HMAC-SHA256 over the
 * direction label, both nonces and both names (as a JSON array, so no name can shift a field
 * boundary). Covering the signer's own fresh nonce means no peer can have either side sign a
 * value of the peer's choosing alone: there is no MAC oracle. The secret never travels.
 */
export function linkProof(secret: string, direction: LinkDirection, session: LinkSession): string {
  const text = JSON.stringify([direction, session.agentNonce, session.relayNonce, session.agent, session.client]);
  return createHmac('sha256', secret).update(text).digest('hex');
}

/** Whether a received proof is the one this session expects from `direction`, compared in constant time. */
export function verifyLinkProof(secret: string, direction: LinkDirection, session: LinkSession, mac: string): boolean {
  const expected = Buffer.from(linkProof(secret, direction, session), 'hex');
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
