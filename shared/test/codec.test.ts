import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { gzipSync, crc32 as zlibCrc32 } from 'node:zlib';
import { nodeCompression } from '@boiler/service';
import {
  Codec,
  crc32,
  message,
  BadGzipError,
  ChecksumMismatchError,
  FrameTooLargeError,
  InflateLimitError,
  InvalidFieldError,
  MalformedJsonError,
  MissingFieldError,
  UnknownFieldError,
  UnknownTypeError,
  VersionMismatchError,
  type Frame,
} from '../src/index.js';
import { MESSAGE_TYPES, messageOf, zoneState } from './arbitraries.js';

const codec = new Codec(nodeCompression);

function frameOf(obj: Record<string, unknown>): string {
  const payload = obj.payload;
  return JSON.stringify({ ...obj, sum: crc32(JSON.stringify(payload)) });
}

const heartbeat = { v: 1, type: 'heartbeat', ts: 1_700_000_000_000, payload: { last_seq: 5, digest: 'abc', uptime_s: 3 } };

describe('codec round trip', () => {
  for (const type of MESSAGE_TYPES) {
    it(`decode(encode(m)) is m for every ${type}`, () => {
      fc.assert(
        fc.property(messageOf(type), (m) => {
          const decoded = codec.decode(codec.encode(m));
          if (!decoded.ok) throw decoded.error;
          expect(decoded.message).toEqual(m);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('compresses frames over 1 KiB and leaves small ones as text', () => {
    fc.assert(
      fc.property(fc.array(zoneState, { minLength: 1, maxLength: 100 }), (zones) => {
        const m = message('zone_state_update', { zones }, { ts: 1 });
        const frame = codec.encode(m);
        const jsonBytes = Buffer.byteLength(JSON.stringify({ ...m, sum: '00000000' }));
        if (jsonBytes > 1024) expect(frame).toBeInstanceOf(Uint8Array);
        else expect(typeof frame).toBe('string');
        const decoded = codec.decode(frame);
        expect(decoded.ok && decoded.compressed).toBe(typeof frame !== 'string');
      }),
      { numRuns: 40 },
    );
  });

  it('checksums agree with a reference CRC-32 (zlib) on any text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        const reference = (require_crc32(Buffer.from(s, 'utf8')) >>> 0).toString(16).padStart(8, '0');
        expect(crc32(s)).toBe(reference);
      }),
    );
  });
});

function require_crc32(buf: Buffer): number {
  // node:zlib has crc32 from Node 20.15 / 22.2.
  return (zlibCrc32 as (b: Buffer) => number)(buf);
}


describe('codec rejections, each its own typed error', () => {
  const cases: Array<[string, Frame, new (...a: never[]) => Error, string]> = [
    ['malformed JSON', '{"v":1,"type":', MalformedJsonError, 'malformed_json'],
    ['a JSON array', '[1,2]', MalformedJsonError, 'malformed_json'],
    ['an unknown type', frameOf({ ...heartbeat, type: 'launch_missiles' }), UnknownTypeError, 'unknown_type'],
    ['a missing field', frameOf({ ...heartbeat, payload: { last_seq: 5, uptime_s: 3 } }), MissingFieldError, 'missing_field'],
    ['a missing ts', frameOf({ v: 1, type: 'heartbeat', payload: heartbeat.payload }), MissingFieldError, 'missing_field'],
    ['an extra payload field', frameOf({ ...heartbeat, payload: { ...heartbeat.payload, extra: 1 } }), UnknownFieldError, 'unknown_field'],
    ['an extra envelope field', frameOf({ ...heartbeat, extra: true }), UnknownFieldError, 'unknown_field'],
    ['a wrong field type', frameOf({ ...heartbeat, payload: { ...heartbeat.payload, last_seq: 'five' } }), InvalidFieldError, 'invalid_field'],
    ['a wrong protocol version', frameOf({ ...heartbeat, v: 2 }), VersionMismatchError, 'version_mismatch'],
    ['no protocol version', frameOf({ type: 'heartbeat', ts: 1, payload: heartbeat.payload }), VersionMismatchError, 'version_mismatch'],
    ['a wrong checksum', JSON.stringify({ ...heartbeat, sum: '00000000' }), ChecksumMismatchError, 'checksum_mismatch'],
    ['a payload changed after checksumming', frameOf(heartbeat).replace('"last_seq":5', '"last_seq":6'), ChecksumMismatchError, 'checksum_mismatch'],
    ['binary that is not gzip', new Uint8Array([1, 2, 3, 4]), BadGzipError, 'bad_gzip'],
    ['truncated gzip', gzipSync(Buffer.from(frameOf(heartbeat))).subarray(0, 20), BadGzipError, 'bad_gzip'],
  ];
  for (const [what, frame, cls, code] of cases) {
    it(`refuses ${what}`, () => {
      const d = codec.decode(frame);
      expect(d.ok).toBe(false);
      if (d.ok) return;
      expect(d.error).toBeInstanceOf(cls);
      expect(d.error.code).toBe(code);
      expect(d.error.message.length).toBeGreaterThan(0);
    });
  }

  it('refuses a frame over the size limit before parsing it', () => {
    const small = new Codec(nodeCompression, { maxFrameBytes: 4096 });
    const big = frameOf({ ...heartbeat, payload: { ...heartbeat.payload, digest: 'x'.repeat(5000) } });
    const d = small.decode(big);
    expect(!d.ok && d.error).toBeInstanceOf(FrameTooLargeError);
    const gz = small.decode(new Uint8Array(5000).fill(0x1f));
    expect(!gz.ok && gz.error).toBeInstanceOf(FrameTooLargeError);
  });

  it('refuses a 1 KiB gzip bomb that inflates past the limit, without inflating it all', () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 });
    expect(bomb.byteLength).toBeLessThan(128 * 1024);
    const kib = gzipSync(Buffer.alloc(1024 * 1024, 0x20), { level: 9 });
    expect(kib.byteLength).toBeLessThanOrEqual(1100);
    const limited = new Codec(nodeCompression, { maxInflatedBytes: 512 * 1024 });
    const d = limited.decode(kib);
    expect(!d.ok && d.error).toBeInstanceOf(InflateLimitError);
    const d2 = codec.decode(bomb);
    expect(!d2.ok && d2.error).toBeInstanceOf(InflateLimitError);
  });

  it('never throws on arbitrary bytes or strings', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 200 }), fc.json()), (frame) => {
        const d = codec.decode(frame);
        expect(typeof d.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});
