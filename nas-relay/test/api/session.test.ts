import { describe, expect, it } from 'vitest';
import { SESSION_TTL_MS, SessionStore, sessionIdFrom } from '../../src/api/session.js';

describe('the relay session store', () => {
  it('gives each sign-in an opaque random id that lasts 12 hours, then none', () => {
    let now = 1_000_000;
    const store = new SessionStore(() => now);
    const a = store.open();
    const b = store.open();
    expect(a.id).not.toBe(b.id);
    // 32 random bytes, base64url: nothing in the id says who or when.
    expect(a.id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.expiresAt).toBe(1_000_000 + SESSION_TTL_MS);
    expect(SESSION_TTL_MS).toBe(12 * 3600_000);
    now += SESSION_TTL_MS - 1;
    expect(store.expiresAt(a.id)).toBe(a.expiresAt);
    now += 1;
    expect(store.expiresAt(a.id)).toBeNull();
    expect(store.expiresAt('not-a-session')).toBeNull();
    expect(store.expiresAt(undefined)).toBeNull();
  });

  it('forgets a closed session, and sweeps ended ones when another opens', () => {
    let now = 0;
    const store = new SessionStore(() => now, 1000);
    const a = store.open();
    const b = store.open();
    store.close(a.id);
    expect(store.expiresAt(a.id)).toBeNull();
    expect(store.expiresAt(b.id)).toBe(1000);
    now = 1000;
    store.open();
    expect(store.size).toBe(1);
  });

  it('reads the session id from a Cookie header, whatever else the header holds', () => {
    expect(sessionIdFrom('boiler_session=abc')).toBe('abc');
    expect(sessionIdFrom('theme=dark; boiler_session=abc; other=1')).toBe('abc');
    expect(sessionIdFrom('boiler_session_x=abc')).toBeUndefined();
    expect(sessionIdFrom('boiler_session=')).toBeUndefined();
    expect(sessionIdFrom(';;=;boiler_session')).toBeUndefined();
    expect(sessionIdFrom(undefined)).toBeUndefined();
    expect(sessionIdFrom('x'.repeat(100_000))).toBeUndefined();
  });
});
