import { crc32 } from './checksum.js';
import type { SystemState, ZoneState } from './models.js';

/** JSON with object keys sorted at every level, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/**
 * A digest of the current state as the relay should hold it; the agent sends it with each
 * heartbeat so a replica that diverged is noticed and resynced.
 */
export function stateDigest(zones: readonly ZoneState[], system: SystemState | null): string {
  const sorted = [...zones].sort((a, b) => (a.zone < b.zone ? -1 : a.zone > b.zone ? 1 : 0)).map(withoutUpdatedAt);
  return `${crc32(canonicalJson(sorted))}${crc32(canonicalJson(system === null ? null : withoutUpdatedAt(system)))}`;
}

/**
 * A state without its `updated_at`, which moves on every tick: the link sends a zone only when
 * something else about it changed, so the replica's copy is equal in everything but this stamp.
 */
export function withoutUpdatedAt<T extends { updated_at: number }>(state: T): Omit<T, 'updated_at'> {
  const { updated_at: _stamp, ...rest } = state;
  return rest;
}
