import { isIPv6 } from 'node:net';

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * Whether a listening host is loopback only: 127.0.0.1, ::1 or localhost (in any case,
 * bracketed, with a trailing dot, or ::1 spelled out). Anything else, 0.0.0.0 and :: included,
 * can be reached from other machines, so it needs TLS and keys.
 */
export function isLoopbackHost(host: string): boolean {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (h.endsWith('.')) h = h.slice(0, -1);
  // new URL writes an IPv6 address in its shortest form (0:0:0:0:0:0:0:1 -> ::1).
  if (isIPv6(h)) h = new URL(`http://[${h}]/`).hostname.slice(1, -1);
  return LOOPBACK.has(h);
}
