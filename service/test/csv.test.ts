import { describe, it, expect } from 'vitest';
import type { EventEntry } from '@boiler/shared';
import { siteIsoTime, textCell, eventCsvLine } from '../src/csv.js';
import { parseCsv } from '../../test/support/csv.js';

describe('CSV cells', () => {
  it('quotes as RFC 4180 says: commas, quotes, CR and LF inside a field', () => {
    expect(textCell('plain')).toBe('plain');
    expect(textCell('a,b')).toBe('"a,b"');
    expect(textCell('say "hi"')).toBe('"say ""hi"""');
    expect(textCell('two\nlines')).toBe('"two\nlines"');
    expect(textCell('cr\rin')).toBe('"cr\rin"');
    expect(textCell(null)).toBe('');
    expect(textCell('')).toBe('');
  });

  it.each(['=1+1', '+1', '-2+3', '@SUM(A1)', '\tx', '\r=1', '=HYPERLINK("http://x","y")'])('guards %j against formula injection with a leading quote', (value) => {
    const cell = textCell(value);
    const [parsed] = parseCsv(`${cell}\r\n`);
    expect(parsed?.[0]).toBe(`'${value}`);
  });

  it('leaves a negative temperature a number: numbers never go through the text guard', () => {
    const e: EventEntry = { seq: 7, ts: 0, source: 'sampler', zone: '-Z', event: 'SAMPLE', room_c: -5.25, pipe_c: null, outdoor_c: -20, setpoint_c: 21.5, duration_s: null, detail: '=cmd|calc' };
    const [row] = parseCsv(eventCsvLine(e, 'UTC'));
    expect(row).toEqual(['7', '1970-01-01T00:00:00.000Z', '1970-01-01T00:00:00.000+00:00', 'sampler', "'-Z", 'SAMPLE', '-5.25', '', '-20', '21.5', '', "'=cmd|calc"]);
  });

  it('writes the site’s wall clock with its offset, both 01:30s of Denver’s fall-back night apart', () => {
    // 2026-11-01: Denver falls back from MDT (-06:00) to MST (-07:00) at 02:00 local.
    const first = Date.UTC(2026, 10, 1, 7, 30, 0, 5);
    const second = Date.UTC(2026, 10, 1, 8, 30, 0, 5);
    expect(siteIsoTime(first, 'America/Denver')).toBe('2026-11-01T01:30:00.005-06:00');
    expect(siteIsoTime(second, 'America/Denver')).toBe('2026-11-01T01:30:00.005-07:00');
    expect(siteIsoTime(Date.UTC(2026, 6, 1, 12), 'Asia/Kolkata')).toBe('2026-07-01T17:30:00.000+05:30');
    expect(siteIsoTime(Date.UTC(2026, 0, 1), 'UTC')).toBe('2026-01-01T00:00:00.000+00:00');
    // Whatever the zone, the offset in the text names the same instant as the epoch.
    for (const zone of ['America/Denver', 'Australia/Lord_Howe', 'Pacific/Chatham', 'America/St_Johns']) {
      for (let t = Date.UTC(2026, 0, 1); t < Date.UTC(2027, 0, 1); t += 7 * 3600_000 + 123) {
        expect(Date.parse(siteIsoTime(t, zone)), `${zone} ${t}`).toBe(t);
      }
    }
  });
});

