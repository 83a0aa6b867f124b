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
  TooDeepError,
  UndecodableError,
  MAX_NESTING_DEPTH,
  HANDSHAKE_LIMITS,
  PROTOCOL_VERSION,
  type Frame,
} from '../src/index.js';
import { MESSAGE_TYPES, messageOf, zoneState } from './arbitraries.js';

const codec = new Codec(nodeCompression);

function frameOf(obj: Record<string, unknown>): string {
  const payload = obj.payload;
  return JSON.stringify({ ...obj, sum: crc32(JSON.stringify(payload)) });
}

const heartbeat = { v: PROTOCOL_VERSION, type: 'heartbeat', ts: 1_700_000_000_000, payload: { last_seq: 5, digest: 'abc', uptime_s: 3 } };

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

  it('checksums the payload as it lies in its own frames, and a frame laid out otherwise by its payload re-serialized', () => {
    const m = message('heartbeat', { last_seq: 5, digest: 'a,"payload":{}', uptime_s: 3 }, { ts: 1, id: 'x","payload":' });
    const own = codec.encode(m) as string;
    expect(own.endsWith(`"payload":${JSON.stringify(m.payload)}}`)).toBe(true);
    expect(codec.decode(own)).toMatchObject({ ok: true, message: m });
    // The same message with its keys in another order and spaces between them: still accepted.
    const spaced = JSON.stringify({ payload: m.payload, sum: crc32(JSON.stringify(m.payload)), id: m.id, ts: m.ts, type: m.type, v: PROTOCOL_VERSION }, null, 1);
    expect(codec.decode(spaced)).toMatchObject({ ok: true, message: m });
    // A payload changed in place after checksumming, in either layout: refused.
    for (const frame of [own, spaced]) {
      const changed = codec.decode(frame.replace('"last_seq":5', '"last_seq":6').replace('"last_seq": 5', '"last_seq": 6'));
      expect(!changed.ok && changed.error.code).toBe('checksum_mismatch');
    }
    // The codec's own CRC and the runtime's agree, so either end may have either.
    const portable = new Codec({ gzip: nodeCompression.gzip, gunzip: nodeCompression.gunzip });
    fc.assert(
      fc.property(messageOf('event_log_entry'), (e) => {
        const a = codec.decode(portable.encode(e));
        const b = portable.decode(codec.encode(e));
        expect(a.ok && b.ok).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

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
    ['a missing ts', frameOf({ v: PROTOCOL_VERSION, type: 'heartbeat', payload: heartbeat.payload }), MissingFieldError, 'missing_field'],
    ['an extra payload field', frameOf({ ...heartbeat, payload: { ...heartbeat.payload, extra: 1 } }), UnknownFieldError, 'unknown_field'],
    ['an extra envelope field', frameOf({ ...heartbeat, extra: true }), UnknownFieldError, 'unknown_field'],
    ['a wrong field type', frameOf({ ...heartbeat, payload: { ...heartbeat.payload, last_seq: 'five' } }), InvalidFieldError, 'invalid_field'],
    ['a wrong protocol version', frameOf({ ...heartbeat, v: PROTOCOL_VERSION + 1 }), VersionMismatchError, 'version_mismatch'],
    // A peer of the build before events carried setpoint_c: refused at its first frame, not event by event.
    ['protocol 1, before events carried setpoints', frameOf({ ...heartbeat, v: 1 }), VersionMismatchError, 'version_mismatch'],
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

  it('tightens its limits for one frame: a handshake frame may be neither big nor inflate big', () => {
    const big = frameOf({ ...heartbeat, payload: { ...heartbeat.payload, digest: 'x'.repeat(5000) } });
    // (The digest is not a valid one: what matters is which check refuses it.)
    const tooBig = (f: Frame, limits?: typeof HANDSHAKE_LIMITS) => {
      const r = codec.decode(f, limits);
      return !r.ok && r.error instanceof FrameTooLargeError;
    };
    expect(tooBig(big)).toBe(false);
    const d = codec.decode(big, HANDSHAKE_LIMITS);
    expect(!d.ok && d.error).toBeInstanceOf(FrameTooLargeError);
    // A small gzip frame that inflates past the handshake limit.
    const kib = gzipSync(Buffer.alloc(64 * 1024, 0x20), { level: 9 });
    expect(kib.byteLength).toBeLessThan(HANDSHAKE_LIMITS.maxFrameBytes);
    const g = codec.decode(kib, HANDSHAKE_LIMITS);
    expect(!g.ok && g.error).toBeInstanceOf(InflateLimitError);
    // The codec's own limits are unchanged for the next frame.
    expect(tooBig(big)).toBe(false);
    expect(tooBig(big, HANDSHAKE_LIMITS)).toBe(true);
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

describe('codec against hostile nesting and numbers', () => {
  const deep = (n: number) => '['.repeat(n) + ']'.repeat(n);

  it('refuses the 6,000-deep auth frame that used to throw a RangeError, as too_deep', () => {
    const text = `{"v":${PROTOCOL_VERSION},"type":"auth_response","ts":1,"sum":"00000000","payload":${deep(6000)}}`;
    // The old decoder's JSON.stringify of this payload overflowed the stack; prove the frame is that one.
    expect(() => JSON.stringify(JSON.parse(text))).toThrow(RangeError);
    const d = codec.decode(text);
    expect(!d.ok && d.error).toBeInstanceOf(TooDeepError);
    expect(!d.ok && d.error.code).toBe('too_deep');
  });

  it('refuses nesting as deep as a whole frame allows, as text and as gzip', () => {
    const text = `{"v":${PROTOCOL_VERSION},"payload":${deep(400_000)}}`; // 800 KB, under the 1 MiB frame limit
    const d = codec.decode(text);
    expect(!d.ok && d.error).toBeInstanceOf(TooDeepError);
    const gz = codec.decode(gzipSync(`{"v":${PROTOCOL_VERSION},"payload":${deep(1_000_000)}}`));
    expect(!gz.ok && gz.error).toBeInstanceOf(TooDeepError);
  });

  it('accepts nesting up to the limit and refuses one level more', () => {
    const at = (levels: number) => `{"v":${PROTOCOL_VERSION},"type":"heartbeat","ts":1,"sum":"0","payload":${deep(levels - 1)}}`;
    const ok = codec.decode(at(MAX_NESTING_DEPTH));
    expect(!ok.ok && ok.error.code).not.toBe('too_deep'); // refused for its checksum, not its depth
    const over = codec.decode(at(MAX_NESTING_DEPTH + 1));
    expect(!over.ok && over.error.code).toBe('too_deep');
  });

  it('refuses huge and unsafe numbers in every numeric field with a typed error', () => {
    const huge = fc.oneof(
      fc.constantFrom('1e400', '-1e400', '9007199254740993', '1e21', '123456789012345678901234567890', '-0', '1.5'),
      fc.bigInt({ min: 2n ** 53n, max: 2n ** 200n }).map(String),
    );
    fc.assert(
      fc.property(huge, fc.constantFrom('ts', 'seq', 'last_seq', 'uptime_s'), (n, field) => {
        const payload = `{"last_seq":${field === 'last_seq' ? n : 5},"digest":"abc","uptime_s":${field === 'uptime_s' ? n : 3}}`;
        const sum = crc32(JSON.stringify(JSON.parse(payload)));
        const text = `{"v":${PROTOCOL_VERSION},"type":"heartbeat","ts":${field === 'ts' ? n : 1},${field === 'seq' ? `"seq":${n},` : ''}"sum":"${sum}","payload":${payload}}`;
        const d = codec.decode(text);
        // Whatever gets through (-0, an uptime of 1e21 s) is a finite number, and every seq and time a safe integer.
        if (d.ok && d.message.type === 'heartbeat') {
          expect(Number.isSafeInteger(d.message.ts)).toBe(true);
          expect(Number.isSafeInteger(d.message.payload.last_seq)).toBe(true);
          expect(d.message.seq === undefined || Number.isSafeInteger(d.message.seq)).toBe(true);
          expect(Number.isFinite(d.message.payload.uptime_s)).toBe(true);
        } else expect(d.ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws on arbitrary frames mixing bytes, deep nesting and huge numbers', () => {
    const frames = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.string(),
      fc.integer({ min: 1, max: 20_000 }).map((n) => `{"v":${PROTOCOL_VERSION},"type":"auth_response","ts":1,"sum":"x","payload":${deep(n)}}`),
      fc.integer({ min: 1, max: 20_000 }).map((n) => '{"a":'.repeat(n) + '1' + '}'.repeat(n)),
      fc.double().map((x) => `{"v":${PROTOCOL_VERSION},"type":"heartbeat","ts":${String(x)},"sum":"0","payload":{"last_seq":${String(x)}}}`),
      fc.json({ depthSize: 'large' }),
    );
    fc.assert(
      fc.property(frames, (frame) => {
        const d = codec.decode(frame);
        expect(typeof d.ok).toBe('boolean');
      }),
      { numRuns: 300 },
    );
  });

  it('turns anything thrown inside decoding into an undecodable error, never a throw', () => {
    const broken = new Codec({
      gzip: nodeCompression.gzip,
      gunzip: () => {
        throw new RangeError('Maximum call stack size exceeded');
      },
    });
    const d = broken.decode(gzipSync('{}'));
    expect(!d.ok && d.error).toBeInstanceOf(UndecodableError);
    expect(!d.ok && d.error.message).toMatch(/stack exhausted/);
  });
});
