import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import { HistoryQuery, historyWindow } from '@boiler/shared';

/** An error an HTTP route answers with: a status and a reason the client can act on. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, err: HttpError, requestId: string): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message, request_id: requestId, ...err.extra } });
}

/** Reads a JSON body of at most `limit` bytes; larger bodies are refused with 413 before they are buffered. */
export async function readJsonBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length'] ?? 'NaN');
  if (Number.isFinite(declared) && declared > limit) {
    throw new HttpError(413, 'body_too_large', `request body of ${declared} bytes is over the ${limit} byte limit`);
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'send the body as application/json');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, 'body_too_large', `request body is over the ${limit} byte limit`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new HttpError(400, 'malformed_json', `body is not JSON: ${(e as Error).message}`);
  }
}

/** A token bucket per client address: `burst` requests at once, refilled at `perSecond`. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Whether the client may make a request now; takes a token when it may. */
  take(client: string): boolean {
    const t = this.now();
    const b = this.buckets.get(client) ?? { tokens: this.burst, at: t };
    b.tokens = Math.min(this.burst, b.tokens + ((t - b.at) / 1000) * this.perSecond);
    b.at = t;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(client, b);
    if (this.buckets.size > 10_000) this.sweep(t);
    return ok;
  }

  private sweep(t: number): void {
    for (const [k, b] of this.buckets) if (t - b.at > (this.burst / this.perSecond) * 1000) this.buckets.delete(k);
  }
}

/**
 * The path of a request target without its query string, by plain string work: it never throws
 * (a target like `//` makes new URL throw, and a throw in an upgrade listener stops the process),
 * and it keeps a key sent in the query out of the logs. At most 256 characters.
 */
export function targetPath(target: string | undefined): string {
  return (target ?? '').split('?', 1)[0]?.slice(0, 256) ?? '';
}

/**
 * Refuses a websocket upgrade no listener takes: 404, then the socket destroyed once the answer is
 * out (an ended socket waits for the peer's end, which it may never send).
 */
export function refuseUpgrade(socket: Duplex): void {
  socket.on('error', () => socket.destroy());
  socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n', () => socket.destroy());
}

/**
 * The request's target as a URL, or 400. Only origin-form targets (`/path?query`) are served:
 * `new URL('//x/api', base)` would read `x` as a host (and `//` alone throws), so the target is
 * put after a fixed origin rather than resolved against it.
 */
export function requestUrl(req: IncomingMessage): URL {
  const target = req.url ?? '/';
  if (!target.startsWith('/')) throw new HttpError(400, 'bad_request_target', 'the request target must be a path starting with /');
  try {
    return new URL(`http://server${target}`);
  } catch {
    throw new HttpError(400, 'bad_request_target', 'the request target is not a valid path');
  }
}

/** A path's segments, percent-decoded; 400 (not a URIError thrown through the route) when one is malformed. */
export function pathSegments(path: string): string[] {
  return path
    .split('/')
    .filter(Boolean)
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        throw new HttpError(400, 'malformed_path', `the path has malformed percent-encoding in ${JSON.stringify(segment.slice(0, 64))}`);
      }
    });
}

/** Parses an optional integer query parameter within bounds, or answers 400 naming it. */
export function intParam(url: URL, name: string, bounds: { min: number; max: number }): number | undefined {
  const all = url.searchParams.getAll(name);
  if (all.length > 1) throw new HttpError(400, 'invalid_query', `${name} is given ${all.length} times; give it once`);
  const raw = all[0];
  if (raw === undefined || raw === '') return undefined;
  // Plain decimal digits only: Number() would also take 1e3, 0x10, " 5" and "5.0".
  const n = /^-?\d{1,16}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < bounds.min || n > bounds.max) {
    throw new HttpError(400, 'invalid_query', `${name} must be an integer from ${bounds.min} to ${bounds.max}`);
  }
  return n;
}

/**
 * A history query's window (`from`, `to`, epoch ms) and `points`, or 400 naming the problem: the
 * shared schema both read APIs use (see HistoryQuery and historyWindow in shared/).
 */
export function historyParams(url: URL, now: number, maxPoints: number): { from: number; to: number; points: number } {
  const window = historyWindow(parseQuery(HistoryQuery, url), now);
  if (!window.ok) throw new HttpError(400, 'invalid_query', window.message);
  if (window.points > maxPoints) throw new HttpError(400, 'invalid_query', `points must be an integer from 1 to ${maxPoints}`);
  return { from: window.from, to: window.to, points: window.points };
}

/** A query string's parameters as the shared query schemas take them: a repeated name gives an array. */
export function queryValues(search: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name of new Set(search.keys())) {
    const all = search.getAll(name);
    out[name] = all.length === 1 ? (all[0] as string) : all;
  }
  return out;
}

/** A request's query parsed by one of the shared query schemas, or 400 with every reason. */
export function parseQuery<S extends z.ZodType>(schema: S, url: URL): z.infer<S> {
  const parsed = schema.safeParse(queryValues(url.searchParams));
  if (!parsed.success) throw new HttpError(400, 'invalid_query', queryProblems(parsed.error.issues));
  return parsed.data;
}

/** The reasons a query was refused, one clause each (the schemas' messages name the parameter). */
export function queryProblems(issues: readonly { message?: string | undefined }[]): string {
  return issues
    .slice(0, 5)
    .map((i) => i.message ?? 'invalid')
    .join('; ');
}
