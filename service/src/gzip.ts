import { gzipSync, gunzipSync, constants, crc32 } from 'node:zlib';
import type { Compression } from '@boiler/shared';

/** The codec's gzip on node:zlib, fast level since frames are small and latency matters. */
export const nodeCompression: Compression = {
  gzip(data) {
    return gzipSync(data, { level: 1 });
  },
  gunzip(data, maxBytes) {
    try {
      return { ok: true, data: gunzipSync(data, { maxOutputLength: maxBytes }) };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      return { ok: false, reason: code === 'ERR_BUFFER_TOO_LARGE' || (e as Error) instanceof RangeError ? 'too_large' : 'corrupt' };
    }
  },
  crc32(data) {
    return crc32(data);
  },
};

export const GZIP_MAX_WINDOW = constants.Z_MAX_WINDOWBITS;
