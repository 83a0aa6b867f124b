import { z } from 'zod';
import { EpochMs, Seq } from './time.js';
import { ZoneState, SystemState, EventEntry, SiteSettings } from './models.js';
import { checkEventEntries } from './event-check.js';
import { Command, CommandResult } from './commands.js';

/**
 * The protocol version every envelope carries; a peer speaking another is refused at its first
 * frame (the codec's version_mismatch, naming both versions), before any event is applied.
 * 2: events carry setpoint_c. Payloads are strict objects, so a version-1 relay would drop every
 * event frame of a version-2 agent as an unknown field while the link looked up; a clear refusal
 * at the handshake is the honest answer (the agent keeps heating and queues its events meanwhile).
 */
export const PROTOCOL_VERSION = 2;

/** Live batches carry at most this many zone updates. */
export const MAX_BATCH_UPDATES = 100;
/** A catch-up or sync page carries at most this many events, so no frame is giant. */
export const MAX_EVENTS_PER_FRAME = 2000;
/**
 * Before the link is open nothing larger than this is parsed, on either end: every handshake
 * message is a few hundred bytes, and an unauthenticated peer must not make the agent (whose
 * control loop shares the thread) spend CPU on a megabyte of JSON or of gzip.
 */
export const MAX_HANDSHAKE_FRAME_BYTES = 4096;

/** How many events each message that carries them may hold (a catch-up or sync page). */
const EVENT_PAGE = {
  event_log_entry: { min: 1, max: MAX_EVENTS_PER_FRAME },
  full_sync_response: { min: 0, max: MAX_EVENTS_PER_FRAME },
} as const;

const eventPage = (type: keyof typeof EVENT_PAGE) => z.array(EventEntry).min(EVENT_PAGE[type].min).max(EVENT_PAGE[type].max);

/** full_sync_response's snapshot: the agent's state on the first page of a sync, null on the others. */
const SyncSnapshot = z
  .strictObject({
    zones: z.array(ZoneState).max(1000),
    system: SystemState,
    last_seq: z.number().int().min(0),
    first_kept_seq: z.number().int().min(0),
  })
  .nullable();

const Hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`), `expected ${bytes} bytes as hex`);

/** Each message type's payload. */
export const Payloads = {
  // The handshake (DESIGN.md, "The wire"): each side sends a fresh nonce, the agent proves the
  // secret first, then the relay; each proof covers both nonces under its own direction label.
  /** Agent -> relay, first frame: the agent's fresh nonce and its name. */
  auth_challenge: z.strictObject({ nonce: Hex(32), agent: z.string().min(1).max(64) }),
  /** Relay -> agent: the relay's fresh nonce and its name; the agent must prove itself first. */
  auth_request: z.strictObject({ nonce: Hex(32), client: z.string().min(1).max(64) }),
  /** Agent -> relay: HMAC-SHA256 keyed by the shared secret over "agent->relay", both nonces and both names. */
  auth_proof: z.strictObject({ mac: Hex(32) }),
  /** Relay -> agent, only once the agent's proof checked: the same over "relay->agent". */
  auth_response: z.strictObject({ mac: Hex(32) }),
  /** Agent -> relay: the link is open; where the agent's log stands. */
  auth_ok: z.strictObject({ last_seq: z.number().int().min(0) }),
  zone_state_update: z.strictObject({ zones: z.array(ZoneState).min(1).max(MAX_BATCH_UPDATES) }),
  system_state_update: z.strictObject({ system: SystemState }),
  /** Agent -> relay: schedules and presets, sent after auth and whenever they change. */
  settings_update: z.strictObject({ settings: SiteSettings }),
  /** Events first_seq..last_seq, contiguous and in order. */
  event_log_entry: z.strictObject({ first_seq: Seq, last_seq: Seq, events: eventPage('event_log_entry') }),
  command_request: z.strictObject({ command: Command }),
  command_response: z.strictObject({ result: CommandResult }),
  heartbeat: z.strictObject({
    last_seq: z.number().int().min(0),
    /** A digest of current zone and system state, so a diverged replica can be noticed. */
    digest: z.string().min(1).max(128),
    uptime_s: z.number().min(0),
  }),
  /** Relay -> agent: the events after after_seq, up to to_seq. */
  range_request: z.strictObject({ after_seq: z.number().int().min(0), to_seq: z.number().int().min(0) }),
  /** Relay -> agent: a snapshot, then the events after after_seq (0: all the agent keeps), in pages. */
  full_sync_request: z.strictObject({ reason: z.string().max(200), after_seq: z.number().int().min(0) }),
  /** One page of a full sync: the snapshot on the first page, events on every page. */
  full_sync_response: z.strictObject({ page: z.number().int().min(0), done: z.boolean(), snapshot: SyncSnapshot, events: eventPage('full_sync_response') }),
  /** Relay -> agent: everything up to last_seq is applied durably. */
  ack: z.strictObject({ last_seq: z.number().int().min(0) }),
} as const;

export type MessageType = keyof typeof Payloads;
export const MESSAGE_TYPES = Object.keys(Payloads) as MessageType[];

const envelopeFields = {
  v: z.literal(PROTOCOL_VERSION),
  ts: EpochMs,
  seq: Seq.optional(),
  id: z.string().min(1).max(64).optional(),
};

function envelopeOf<T extends MessageType>(type: T) {
  return z.strictObject({ ...envelopeFields, type: z.literal(type), payload: Payloads[type] });
}

/** Every frame, checked in full: the envelope and its type's payload. */
export const Message = z.discriminatedUnion('type', [
  envelopeOf('auth_challenge'),
  envelopeOf('auth_request'),
  envelopeOf('auth_proof'),
  envelopeOf('auth_response'),
  envelopeOf('auth_ok'),
  envelopeOf('zone_state_update'),
  envelopeOf('system_state_update'),
  envelopeOf('settings_update'),
  envelopeOf('event_log_entry'),
  envelopeOf('command_request'),
  envelopeOf('command_response'),
  envelopeOf('heartbeat'),
  envelopeOf('range_request'),
  envelopeOf('full_sync_request'),
  envelopeOf('full_sync_response'),
  envelopeOf('ack'),
]);
export type Message = z.infer<typeof Message>;
export type MessageOf<T extends MessageType> = Extract<Message, { type: T }>;
export type PayloadOf<T extends MessageType> = z.infer<(typeof Payloads)[T]>;

/**
 * The messages that carry pages of events, every field but the events checked by zod: the events
 * go through checkEventEntries instead (see parseEventCarrier).
 */
const EventCarriers = {
  event_log_entry: z.strictObject({ ...envelopeFields, type: z.literal('event_log_entry'), payload: Payloads.event_log_entry.omit({ events: true }) }),
  full_sync_response: z.strictObject({ ...envelopeFields, type: z.literal('full_sync_response'), payload: Payloads.full_sync_response.omit({ events: true }) }),
} as const;

/**
 * A frame that carries events, parsed as Message.safeParse would parse it but with the events
 * checked by checkEventEntries rather than by zod (a catch-up page is a thousand of them, and a
 * cold relay spent ~50 ms of a 10,000-event catch-up in zod); null when the frame is of another
 * type or the fast check is not sure, and the caller then parses it with Message, which is the
 * judge and words the error.
 */
export function parseEventCarrier(envelope: Record<string, unknown>): Message | null {
  const type = envelope.type;
  if (type !== 'event_log_entry' && type !== 'full_sync_response') return null;
  const payload = envelope.payload;
  if (typeof payload !== 'object' || payload === null || !Object.hasOwn(payload, 'events')) return null;
  const { events: raw, ...rest } = payload as { events: unknown };
  if (!Array.isArray(raw) || raw.length < EVENT_PAGE[type].min || raw.length > EVENT_PAGE[type].max) return null;
  const events = checkEventEntries(raw);
  if (events === null) return null;
  const parsed = EventCarriers[type].safeParse({ ...envelope, payload: rest });
  if (!parsed.success) return null;
  return { ...parsed.data, payload: { ...parsed.data.payload, events } } as Message;
}

/** Builds a message of a type, stamped with the current protocol version. */
export function message<T extends MessageType>(
  type: T,
  payload: PayloadOf<T>,
  meta: { ts: number; seq?: number; id?: string },
): MessageOf<T> {
  const m: Record<string, unknown> = { v: PROTOCOL_VERSION, type, ts: meta.ts, payload };
  if (meta.seq !== undefined) m.seq = meta.seq;
  if (meta.id !== undefined) m.id = meta.id;
  return m as MessageOf<T>;
}
