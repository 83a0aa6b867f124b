import { describe, expect, it } from 'vitest';
import { kioskFlag } from '../../../src/renderer/src/kiosk/flag.js';

describe('kioskFlag', () => {
  it('is on for kiosk=1 only', () => {
    expect(kioskFlag('?kiosk=1')).toBe(true);
    expect(kioskFlag('?next=%2Fsettings&kiosk=1')).toBe(true);
    for (const s of ['', '?kiosk=0', '?kiosk', '?kiosk=true', '?kiosk=11', '?xkiosk=1']) expect(kioskFlag(s), s).toBe(false);
  });
});

