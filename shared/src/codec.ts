import { MAX_HANDSHAKE_FRAME_BYTES, PROTOCOL_VERSION, Payloads, Message, parseEventCarrier, type MessageType } from './messages.js';
import { crc32 } from './checksum.js';
import { describeIssues, type Issue } from './parse.js';

declare const TextEncoder: { new (): { encode(s: string): Uint8Array } };
declare const TextDecoder: { new (label: string, options: { fatal: boolean }): { decode(b: Uint8Array): string } };

/** Gzip, provided by the runtime (node:zlib on the agent and relay). */
export interface Compression {
  gzip(data: Uint8Array): Uint8Array;
  /** Inflates at most maxBytes of output; anything larger or malformed is refused, not thrown. */
  gunzip(data: Uint8Array, maxBytes: number): { ok: true; data: Uint8Array } | { ok: false; reason: 'corrupt' | 'too_large' };
  /**
   * The runtime's own CRC-32 (IEEE) of a text's UTF-8 bytes, if it has one (node:zlib does): the
   * same number as checksum.ts's, some fifty times faster on a page of events.
   */
  crc32?(data: string | Uint8Array): number;
}

export interface CodecLimits {
  /** Largest frame accepted as it arrives on the socket, compressed or not. */
  maxFrameBytes: number;
  /** Largest JSON a compressed frame may inflate to (against gzip bombs). */
  maxInflatedBytes: number;
  /** JSON longer than this travels gzip-compressed. */
  gzipThresholdBytes: number;
}

export const DEFAULT_LIMITS: CodecLimits = {
  maxFrameBytes: 1024 * 1024,
  maxInflatedBytes: 8 * 1024 * 1024,
  gzipThresholdBytes: 1024,
};

/** The limits of a frame that arrives before the peer has proven itself (see MAX_HANDSHAKE_FRAME_BYTES). */
export const HANDSHAKE_LIMITS: Pick<CodecLimits, 'maxFrameBytes' | 'maxInflatedBytes'> = {
  maxFrameBytes: MAX_HANDSHAKE_FRAME_BYTES,
  maxInflatedBytes: MAX_HANDSHAKE_FRAME_BYTES,
};

/** Why a frame was refused; each kind is its own class so callers can count them apart. */
export abstract class CodecError extends Error {
  abstract readonly code: string;
}
export class FrameTooLargeError extends CodecError {
  readonly code = 'frame_too_large';
}
export class BadGzipError extends CodecError {
  readonly code = 'bad_gzip';
}
export class InflateLimitError extends CodecError {
  readonly code = 'inflate_limit';
}
export class MalformedJsonError extends CodecError {
  readonly code = 'malformed_json';
}
export class VersionMismatchError extends CodecError {
  readonly code = 'version_mismatch';
}
export class UnknownTypeError extends CodecError {
  readonly code = 'unknown_type';
}
export class ChecksumMismatchError extends CodecError {
  readonly code = 'checksum_mismatch';
}
export class MissingFieldError extends CodecError {
  readonly code = 'missing_field';
}
export class UnknownFieldError extends CodecError {
  readonly code = 'unknown_field';
}
export class InvalidFieldError extends CodecError {
  readonly code = 'invalid_field';
}
/** Nested deeper than any message of the protocol: refused before anything recursive walks it. */
export class TooDeepError extends CodecError {
  readonly code = 'too_deep';
}
/** Decoding failed in a way no check above foresaw (a bug, or the stack ran out): refused, not thrown. */
export class UndecodableError extends CodecError {
  readonly code = 'undecodable';
}

/**
 * The deepest nesting of arrays and objects a frame may have. The protocol's deepest message
 * is about 8 levels; JSON.stringify and zod recurse, so a frame of 6,000 `[` would exhaust the
 * stack in them (a RangeError) if it got that far.
 */
export const MAX_NESTING_DEPTH = 32;

export type CodecErrorCode = CodecError['code'];
export type Decoded = { ok: true; message: Message; compressed: boolean } | { ok: false; error: CodecError };

/** A frame as the socket delivers it: text, or bytes when compressed. */
export type Frame = string | Uint8Array;

const GZIP_MAGIC_0 = 0x1f;
const GZIP_MAGIC_1 = 0x8b;

/** Encodes and decodes wire frames: JSON, gzip over the threshold, a CRC-32 of the payload. */
export class Codec {
  private readonly limits: CodecLimits;
  private readonly encoder = new TextEncoder();
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });

  /** The runtime's CRC-32 if it has one, as the sum's 8 hex digits; undefined: checksum.ts's, over text. */
  private readonly nativeSum: ((data: string | Uint8Array) => string) | undefined;

  constructor(
    private readonly compression: Compression,
    limits: Partial<CodecLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
    const native = compression.crc32?.bind(compression);
    this.nativeSum = native === undefined ? undefined : (data) => (native(data) >>> 0).toString(16).padStart(8, '0');
  }

  private checksum(text: string): string {
    return this.nativeSum === undefined ? crc32(text) : this.nativeSum(text);
  }

  /** The frame for a message: a string, or gzip bytes when its JSON is over the threshold. */
  encode(message: Message): Frame {
    const payloadJson = JSON.stringify(message.payload);
    let head = `{"v":${PROTOCOL_VERSION},"type":"${message.type}","ts":${message.ts}`;
    if (message.seq !== undefined) head += `,"seq":${message.seq}`;
    if (message.id !== undefined) head += `,"id":${JSON.stringify(message.id)}`;
    // Over the threshold whatever its bytes (a string's length is a lower bound on them): the
    // payload is turned into UTF-8 once, and checksummed and gzipped as those bytes.
    if (this.nativeSum !== undefined && head.length + FRAME_OVERHEAD_CHARS + payloadJson.length > this.limits.gzipThresholdBytes) {
      const payload = this.encoder.encode(payloadJson);
      const start = this.encoder.encode(`${head},"sum":"${this.nativeSum(payload)}"${PAYLOAD_KEY}`);
      const bytes = new Uint8Array(start.length + payload.length + 1);
      bytes.set(start);
      bytes.set(payload, start.length);
      bytes[bytes.length - 1] = CLOSING_BRACE;
      return this.compression.gzip(bytes);
    }
    // The payload last, so the decoder can checksum its text as it stands in the frame (see payloadText).
    const json = `${head},"sum":"${this.checksum(payloadJson)}"${PAYLOAD_KEY}${payloadJson}}`;
    // String length is a lower bound on UTF-8 bytes, so short ASCII frames skip the encoder.
    if (json.length <= this.limits.gzipThresholdBytes) {
      const bytes = this.encoder.encode(json);
      if (bytes.length <= this.limits.gzipThresholdBytes) return json;
      return this.compression.gzip(bytes);
    }
    return this.compression.gzip(this.encoder.encode(json));
  }

  /**
   * A typed message or a typed error; never throws on bad input. `limits` tightens the codec's own
   * for one frame (a handshake frame, say, before the peer has proven anything).
   */
  decode(frame: Frame, limits?: Partial<Pick<CodecLimits, 'maxFrameBytes' | 'maxInflatedBytes'>>): Decoded {
    try {
      return this.decodeUnguarded(frame, limits === undefined ? this.limits : { ...this.limits, ...limits });
    } catch (err) {
      // Every known way to fail returns above; this is the last wall, so that no frame, whatever
      // it holds, can throw through a socket handler and stop the process (the boiler's controller).
      const what = err instanceof RangeError ? 'stack exhausted' : 'internal error';
      return fail(new UndecodableError(`${what} while decoding: ${String((err as Error)?.message ?? err).slice(0, 200)}`));
    }
  }

  private decodeUnguarded(frame: Frame, limits: CodecLimits): Decoded {
    const size = typeof frame === 'string' ? frame.length : frame.byteLength;
    if (size > limits.maxFrameBytes) {
      return fail(new FrameTooLargeError(`frame of ${size} bytes is over the ${limits.maxFrameBytes} byte limit`));
    }
    let text: string;
    let compressed = false;
    /** An inflated frame's payload as it lies in the bytes, where the runtime can checksum bytes. */
    let payloadAsBytes: Uint8Array | null = null;
    if (typeof frame === 'string') {
      text = frame;
    } else {
      if (frame.byteLength < 2 || frame[0] !== GZIP_MAGIC_0 || frame[1] !== GZIP_MAGIC_1) {
        return fail(new BadGzipError('binary frame is not gzip'));
      }
      const inflated = this.compression.gunzip(frame, limits.maxInflatedBytes);
      if (!inflated.ok) {
        return fail(
          inflated.reason === 'too_large'
            ? new InflateLimitError(`gzip frame inflates past ${limits.maxInflatedBytes} bytes`)
            : new BadGzipError('gzip frame is corrupt'),
        );
      }
      try {
        text = this.decoder.decode(inflated.data);
      } catch {
        return fail(new MalformedJsonError('inflated frame is not UTF-8'));
      }
      compressed = true;
      if (this.nativeSum !== undefined) payloadAsBytes = payloadBytes(inflated.data);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return fail(new MalformedJsonError(`not JSON: ${(e as Error).message}`));
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      return fail(new MalformedJsonError('frame is not a JSON object'));
    }
    if (nestsDeeperThan(raw, MAX_NESTING_DEPTH)) return fail(new TooDeepError(`frame nests deeper than ${MAX_NESTING_DEPTH} levels`));
    const obj = raw as Record<string, unknown>;
    if (obj.v !== PROTOCOL_VERSION) {
      return fail(new VersionMismatchError(`protocol version ${JSON.stringify(obj.v)}, expected ${PROTOCOL_VERSION}`));
    }
    if (typeof obj.type !== 'string' || !Object.hasOwn(Payloads, obj.type)) {
      return fail(new UnknownTypeError(`unknown message type ${JSON.stringify(obj.type)}`));
    }
    if (typeof obj.sum !== 'string') return fail(new MissingFieldError('sum: checksum missing'));
    if (!('payload' in obj)) return fail(new MissingFieldError('payload: missing'));
    // The payload's text as this codec lays frames out is checksummed where it lies; a frame laid
    // out otherwise (another encoder, other key order or spacing) by its re-serialized payload.
    const asSent = payloadAsBytes ?? payloadText(text);
    if (asSent === null || (this.nativeSum === undefined ? crc32(asSent as string) : this.nativeSum(asSent)) !== obj.sum) {
      const sum = this.checksum(JSON.stringify(obj.payload));
      if (sum !== obj.sum) return fail(new ChecksumMismatchError(`checksum ${obj.sum} does not match payload (${sum})`));
    }
    const { sum: _sum, ...envelope } = obj;
    const fast = parseEventCarrier(envelope);
    if (fast !== null) return { ok: true, message: fast, compressed };
    const parsed = Message.safeParse(envelope);
    if (!parsed.success) return fail(schemaError(obj.type as MessageType, parsed.error.issues));
    return { ok: true, message: parsed.data, compressed };
  }
}

/** The key encode() writes the payload under, last in the frame. */
const PAYLOAD_KEY = ',"payload":';
const PAYLOAD_KEY_BYTES = Array.from(PAYLOAD_KEY, (c) => c.charCodeAt(0));
const CLOSING_BRACE = 0x7d;
/** What encode() adds around the head and the payload: `,"sum":"…"`, the payload's key and the closing brace. */
const FRAME_OVERHEAD_CHARS = ',"sum":"00000000"'.length + PAYLOAD_KEY.length + 1;
/** How far into a frame's bytes the payload's key is looked for: past any head encode() writes. */
const HEAD_SEARCH_BYTES = 1024;

/**
 * payloadText over a frame's UTF-8 bytes: the payload's bytes, or null. A multi-byte character
 * never holds an ASCII byte, so the first `,"payload":` in the bytes is the first in the text.
 */
function payloadBytes(frame: Uint8Array): Uint8Array | null {
  const n = frame.length;
  if (n === 0 || frame[n - 1] !== CLOSING_BRACE) return null;
  const last = Math.min(n, HEAD_SEARCH_BYTES) - PAYLOAD_KEY_BYTES.length;
  search: for (let at = 0; at <= last; at++) {
    for (let k = 0; k < PAYLOAD_KEY_BYTES.length; k++) if (frame[at + k] !== PAYLOAD_KEY_BYTES[k]) continue search;
    return frame.subarray(at + PAYLOAD_KEY_BYTES.length, n - 1);
  }
  return null;
}

/**
 * The payload's text in a frame laid out as encode() lays it out (`…,"payload":<payload>}`), or
 * null. The first `,"payload":` is the envelope's key: every value before it is a number or a
 * JSON string, in which a quote is always escaped. The frame has been parsed as JSON already, so
 * this slice is only ever a candidate for the checksum, which decides.
 */
export function payloadText(frame: string): string | null {
  const at = frame.indexOf(PAYLOAD_KEY);
  if (at < 0 || frame.charCodeAt(frame.length - 1) !== 0x7d) return null;
  return frame.slice(at + PAYLOAD_KEY.length, -1);
}

/**
 * Whether a parsed value nests arrays and objects deeper than `levelsLeft`. Its own recursion
 * stops at the limit, so it is safe on any depth; V8's JSON.parse is iterative, so a deep text
 * parses without exhausting the stack and is caught here, before JSON.stringify and zod (both
 * recursive) see it. Walking the parsed value costs a tenth of the parse, a scan of the text
 * before it nearly half.
 */
export function nestsDeeperThan(value: unknown, levelsLeft: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (levelsLeft === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeperThan(item, levelsLeft - 1)) return true;
    return false;
  }
  for (const key in value) if (nestsDeeperThan((value as Record<string, unknown>)[key], levelsLeft - 1)) return true;
  return false;
}

function fail(error: CodecError): Decoded {
  return { ok: false, error };
}

function schemaError(type: MessageType, issues: readonly Issue[]): CodecError {
  const text = `${type}: ${describeIssues(issues)}`;
  const first = issues[0];
  if (first?.code === 'unrecognized_keys') return new UnknownFieldError(text);
  if (first?.code === 'invalid_type' && /received undefined/.test(first.message)) return new MissingFieldError(text);
  return new InvalidFieldError(text);
}
