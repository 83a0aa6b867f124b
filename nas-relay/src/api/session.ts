import { randomBytes } from 'node:crypto';
import { z } from 'zod';

/** The cookie a browser holds its session in. */
export const SESSION_COOKIE = 'boiler_session';
/** How long a session lasts from sign-in. */
export const SESSION_TTL_MS = 12 * 3600_000;
/** Most sessions held at once; the oldest goes first past it (sign-ins need the key and are rate-limited). */
const MAX_SESSIONS = 10_000;

/** `POST /api/session`: the API key, exchanged for a cookie. */
export const SessionRequest = z.strictObject({ key: z.string().max(1024) });
/** `GET /api/session`: when the session ends, epoch ms. */
export const SessionReply = z.object({ expires_at: z.number() });

/**
 * The browsers' sessions, in the relay's memory only: an opaque random id per sign-in with its
 * expiry. A restart signs everyone out, which is the safe way round.
 */
export class SessionStore {
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly ttlMs: number = SESSION_TTL_MS,
  ) {}

  /** A new session: its id (for the cookie) and when it ends. */
  open(): { id: string; expiresAt: number } {
    this.sweep();
    if (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest !== undefined) this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + this.ttlMs;
    this.sessions.set(id, expiresAt);
    return { id, expiresAt };
  }

  /** When the session `id` ends, or null when there is no such session or it has ended. */
  expiresAt(id: string | undefined): number | null {
    if (id === undefined) return null;
    const at = this.sessions.get(id);
    if (at === undefined) return null;
    if (at <= this.now()) {
      this.sessions.delete(id);
      return null;
    }
    return at;
  }

  close(id: string | undefined): void {
    if (id !== undefined) this.sessions.delete(id);
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const t = this.now();
    for (const [id, at] of this.sessions) if (at <= t) this.sessions.delete(id);
  }
}

/** The session id a Cookie header carries, or undefined; never throws (the header is the client's). */
export function sessionIdFrom(cookieHeader: string | undefined): string | undefined {
  if (cookieHeader === undefined) return undefined;
  for (const part of cookieHeader.slice(0, 8192).split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === SESSION_COOKIE) {
      const value = part.slice(eq + 1).trim();
      return value === '' ? undefined : value;
    }
  }
  return undefined;
}
