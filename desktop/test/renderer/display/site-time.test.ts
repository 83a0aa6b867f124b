import { describe, expect, it } from 'vitest';
import { nextSiteTime, siteClock } from '../../../src/renderer/src/display/site-time.js';

const DENVER = 'America/Denver';

describe('nextSiteTime', () => {
  it('names the time later today on the site clock, whatever the viewer zone', () => {
    const now = Date.UTC(2026, 11, 2, 15, 0); // 08:00 in Denver (UTC-7 in December)
    const at = nextSiteTime(18, 30, DENVER, now);
    expect(at).toBe(Date.UTC(2026, 11, 3, 1, 30));
    expect(siteClock(at, DENVER)).toBe('18:30');
  });

  it('rolls to tomorrow when the time has passed there', () => {
    const now = Date.UTC(2026, 11, 3, 2, 0); // 19:00 in Denver
    const at = nextSiteTime(18, 30, DENVER, now);
    expect(at).toBe(Date.UTC(2026, 11, 4, 1, 30));
  });

  it('keeps the wall time across the spring change to daylight time', () => {
    const now = Date.UTC(2026, 2, 8, 7, 0); // 00:00 MST on the night clocks go forward (02:00 -> 03:00)
    const at = nextSiteTime(12, 0, DENVER, now);
    expect(siteClock(at, DENVER)).toBe('12:00');
    expect(at).toBe(Date.UTC(2026, 2, 8, 18, 0)); // noon MDT is UTC-6
  });

  it('keeps the wall time across the autumn change back', () => {
    const now = Date.UTC(2026, 10, 1, 6, 0); // 00:00 MDT on the night clocks go back
    const at = nextSiteTime(12, 0, DENVER, now);
    expect(siteClock(at, DENVER)).toBe('12:00');
    expect(at).toBe(Date.UTC(2026, 10, 1, 19, 0)); // noon MST is UTC-7
  });
});
