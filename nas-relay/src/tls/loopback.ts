import { isLoopbackHost } from '@boiler/service';

/**
 * Whether a host must be served or reached over TLS: true unless it is loopback only
 * (127.0.0.1, ::1 or localhost, in any spelling; see isLoopbackHost), the only places plain
 * HTTP is allowed. Anything else, 0.0.0.0 and :: included, needs TLS.
 */
export function mustUseTls(host: string): boolean {
  return !isLoopbackHost(host);
}
