import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MAX_STATS_DAYS, ZoneStatsQuery, siteDayOf, siteDayStart, siteDays, statsWindow, siteTime } from '../src/index.js';

const DENVER = 'America/Denver';
const HOUR = 3600_000;

describe('site days', () => {
  it('starts a Denver day at local midnight: 07:00 UTC in winter, 06:00 in summer', () => {
    expect(siteDayStart(2026, 1, 15, DENVER)).toBe(Date.UTC(2026, 0, 15, 7));
    expect(siteDayStart(2026, 7, 15, DENVER)).toBe(Date.UTC(2026, 6, 15, 6));
  });

  it('gives the spring-forward day 23 hours and the fall-back day 25', () => {
    const spring = siteDayOf(Date.UTC(2026, 2, 8, 18), DENVER);
    expect(spring).toEqual({ date: '2026-03-08', start: Date.UTC(2026, 2, 8, 7), end: Date.UTC(2026, 2, 9, 6) });
    expect(spring.end - spring.start).toBe(23 * HOUR);
    const fall = siteDayOf(Date.UTC(2026, 10, 1, 18), DENVER);
    expect(fall.end - fall.start).toBe(25 * HOUR);
  });

  it('starts a day whose midnight is skipped at the jump (Santiago, September 2026: 00:00 becomes 01:00)', () => {
    const day = siteDayOf(Date.UTC(2026, 8, 6, 15), 'America/Santiago');
    expect(day.date).toBe('2026-09-06');
    expect(day.end - day.start).toBe(23 * HOUR);
    expect(siteTime(day.start, 'America/Santiago').minutes).toBe(60);
    expect(siteTime(day.start - 1, 'America/Santiago').day).toBe(5);
  });

  it('covers any window with whole days, each starting where the last ended, every instant in its own day', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4_000_000_000_000 }),
        fc.integer({ min: 1, max: 40 * 24 * HOUR }),
        fc.constantFrom(DENVER, 'UTC', 'Europe/London', 'Australia/Lord_Howe', 'Asia/Kathmandu', 'Pacific/Apia'),
        (from, span, tz) => {
          const days = siteDays(from, from + span, tz);
          expect(days[0]!.start).toBeLessThanOrEqual(from);
          expect(days[days.length - 1]!.end).toBeGreaterThanOrEqual(from + span);
          for (let i = 0; i < days.length; i++) {
            const d = days[i]!;
            expect(d.end - d.start).toBeGreaterThanOrEqual(22 * HOUR);
            expect(d.end - d.start).toBeLessThanOrEqual(26 * HOUR);
            if (i > 0) expect(d.start).toBe(days[i - 1]!.end);
            expect(siteDayOf(d.start, tz).date).toBe(d.date);
            expect(siteDayOf(d.end - 1, tz).date).toBe(d.date);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the stats query', () => {
  it('defaults to the last seven site days, today included', () => {
    const now = Date.UTC(2026, 0, 15, 20);
    const w = statsWindow(ZoneStatsQuery.parse({}), now, DENVER);
    expect(w).toEqual({ ok: true, from: Date.UTC(2026, 0, 9, 7), to: now });
  });

  it('refuses a window backwards, empty or longer than the bound, with a reason', () => {
    expect(statsWindow({ from: 10, to: 5 }, 0, 'UTC')).toEqual({ ok: false, message: 'from must be before to' });
    expect(statsWindow({ from: 5, to: 5 }, 0, 'UTC')).toEqual({ ok: false, message: 'from must be before to' });
    const tooLong = statsWindow({ from: 0, to: (MAX_STATS_DAYS + 1) * 24 * HOUR }, 0, 'UTC');
    expect(tooLong.ok).toBe(false);
    expect(statsWindow({ from: 0, to: MAX_STATS_DAYS * 24 * HOUR }, 0, 'UTC').ok).toBe(true);
  });

  it('refuses dates that are not whole epoch milliseconds in range, naming the parameter', () => {
    for (const bad of [{ from: '2026-01-01' }, { to: '-1' }, { to: '1e12' }, { from: '8640000000000000' }, { from: ['1', '2'] }]) {
      const r = ZoneStatsQuery.safeParse(bad);
      expect(r.success, JSON.stringify(bad)).toBe(false);
      expect(r.error?.issues[0]?.message).toMatch(/^(from|to) /);
    }
  });
});
