import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { HttpError, historyParams, intParam, pathSegments, requestUrl } from '../src/http.js';

const DAY = 24 * 3600_000;
const NOW = 1_780_000_000_000;

function url(query: string): URL {
  return new URL(`http://server/api/zones/Z1/history${query}`);
}

/** The HttpError a call throws, or null. */
function refusal(fn: () => unknown): HttpError | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
}

describe('request targets and paths', () => {
  it('reads origin-form targets, and refuses others with 400 instead of throwing TypeError', () => {
    const target = (t: string) => requestUrl({ url: t } as IncomingMessage);
    expect(target('/api/zones?x=1').pathname).toBe('/api/zones');
    // new URL('//x/api', base) would make x the host; here it stays in the path.
    expect(target('//x/api').pathname).toBe('//x/api');
    expect(target('//').pathname).toBe('//');
    expect(refusal(() => target('*'))?.status).toBe(400);
    expect(refusal(() => target('http://evil.example/api'))?.code).toBe('bad_request_target');
  });

  it('decodes path segments, answering malformed percent-encoding with 400 and a reason', () => {
    expect(pathSegments('/api/zones/Z%201')).toEqual(['api', 'zones', 'Z 1']);
    for (const bad of ['/api/zones/%E0%A4%A', '/api/%zz', '/%']) {
      const e = refusal(() => pathSegments(bad));
      expect(e?.status, bad).toBe(400);
      expect(e?.code).toBe('malformed_path');
      expect(e?.message).toMatch(/malformed percent-encoding/);
    }
  });
});

describe('query parameters', () => {
  it('takes plain decimal integers within bounds only, given once', () => {
    const bounds = { min: 0, max: 100 };
    expect(intParam(url('?n=42'), 'n', bounds)).toBe(42);
    expect(intParam(url('?n='), 'n', bounds)).toBeUndefined();
    expect(intParam(url(''), 'n', bounds)).toBeUndefined();
    for (const q of ['?n=1e1', '?n=0x10', '?n=5.0', '?n=%205', '?n=abc', '?n=-1', '?n=101', '?n=1&n=2', '?n=99999999999999999999']) {
      expect(refusal(() => intParam(url(q), 'n', bounds))?.status, q).toBe(400);
    }
  });

  it('gives history its defaults and answers every bad shape with 400, never a throw the route does not expect', () => {
    expect(historyParams(url(''), NOW, 2000)).toEqual({ from: NOW - DAY, to: NOW, points: 500 });
    expect(historyParams(url('?from=0&to=1&points=1'), NOW, 2000)).toEqual({ from: 0, to: 1, points: 1 });
    for (const q of ['?to=1', '?to=0', '?from=5&to=5', '?from=6&to=5', '?points=0', '?points=2001', '?to=x', '?from=-1', '?to=1&to=2', `?from=${NOW}`]) {
      const e = refusal(() => historyParams(url(q), NOW, 2000));
      expect(e?.status, q).toBe(400);
      expect(e?.code).toBe('invalid_query');
    }
  });
});
