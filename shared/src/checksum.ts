const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32 (IEEE) of a string's UTF-16 code units folded to bytes via UTF-8, as 8 hex digits. */
export function crc32(text: string): string {
  let crc = 0xffffffff;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    // Encode as UTF-8 on the fly so both ends agree whatever their string representation.
    if (code < 0x80) {
      crc = step(crc, code);
    } else if (code < 0x800) {
      crc = step(step(crc, 0xc0 | (code >> 6)), 0x80 | (code & 0x3f));
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low <= 0xdfff) {
        i++;
        code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
        crc = step(step(step(step(crc, 0xf0 | (code >> 18)), 0x80 | ((code >> 12) & 0x3f)), 0x80 | ((code >> 6) & 0x3f)), 0x80 | (code & 0x3f));
      } else {
        crc = step3(crc, 0xfffd);
      }
    } else if (code >= 0xd800 && code <= 0xdfff) {
      crc = step3(crc, 0xfffd);
    } else {
      crc = step3(crc, code);
    }
  }
  return ((crc ^ 0xffffffff) >>> 0).toString(16).padStart(8, '0');
}

function step(crc: number, byte: number): number {
  return (TABLE[(crc ^ byte) & 0xff] as number) ^ (crc >>> 8);
}

function step3(crc: number, code: number): number {
  return step(step(step(crc, 0xe0 | (code >> 12)), 0x80 | ((code >> 6) & 0x3f)), 0x80 | (code & 0x3f));
}
