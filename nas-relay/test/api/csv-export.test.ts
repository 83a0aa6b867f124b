import { describe, it, expect, afterEach } from 'vitest';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventsQuery, EventsReply, HistoryQuery, HistoryReply, historyWindow, type EventEntry, type EventKind } from '@boiler/shared';
import { CSV_BOM, CSV_PAGE_EVENTS, createHttpApp, createLogger, eventCsvLine, registerCsvRoutes, siteIsoTime, type EventPageQuery, type HttpApp } from '@boiler/service';
import type { Replica } from '../../src/replica/index.js';
import { useTempFiles } from '../replica/temp-replica.js';
import { parseCsv } from '../../../test/support/csv.js';

// The CSV routes (service/src/csv-routes.ts) on a real Fastify app over the relay's real replica
// (SQLite file, migrations, the reads the relay's JSON routes make), beside the JSON routes as
// the servers have them, so an export can be compared with the JSON row for row.

const files = useTempFiles();
const T0 = Date.UTC(2026, 10, 1);
const NOW = Date.UTC(2026, 11, 1);
const KINDS: readonly EventKind[] = ['ON', 'OFF', 'SAMPLE', 'ALERT', 'COMMAND'];
const DETAILS = [null, 'plain', 'a, "quoted"\r\nline', '=1+1', '-cmd', '@x', 'ünïcødé °C', '+SUM(A1:A9)'];

let app: HttpApp | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** Event `seq` of a seeded log: zones Z1..Z3 and none, every kind, hostile details on all but samples, one a minute. */
function seededEvent(seq: number, kinds: readonly EventKind[] = KINDS): EventEntry {
  const event = kinds[seq % kinds.length] as EventKind;
  const zone = seq % 4 === 0 ? null : `Z${seq % 4}`;
  const sample = event === 'SAMPLE' && zone !== null;
  return {
    seq,
    ts: T0 + seq * 60_000,
    source: sample ? 'sampler' : 'control',
    zone,
    event,
    room_c: seq % 3 === 0 ? null : 18 + (seq % 50) / 7,
    pipe_c: 40.5,
    outdoor_c: -3 - (seq % 9) / 3,
    setpoint_c: sample ? 20 + (seq % 4) / 2 : null,
    duration_s: event === 'OFF' ? seq : null,
    detail: sample ? (seq % 2 === 0 ? 'on' : 'off') : (DETAILS[seq % DETAILS.length] as string | null),
  };
}

function seededReplica(n: number, kinds: readonly EventKind[] = KINDS): Replica {
  const replica = files.openReplica();
  for (let first = 1; first <= n; first += 2000) {
    const batch: EventEntry[] = [];
    for (let seq = first; seq < first + 2000 && seq <= n; seq++) batch.push(seededEvent(seq, kinds));
    replica.applyEvents(batch);
  }
  return replica;
}

interface Reads {
  pages: number;
  rows: number;
  onPage?: (page: readonly EventEntry[]) => void;
}

async function serve(replica: Replica, reads: Reads = { pages: 0, rows: 0 }): Promise<string> {
  app = createHttpApp({ bodyLimit: 1024, refusalLogLevel: 'debug' }, createLogger({ name: 'test', level: 'silent' }));
  const toPage = (q: EventsQuery): EventPageQuery => ({
    limit: q.limit,
    ...(q.zone === undefined ? {} : { zone: q.zone }),
    ...(q.event === undefined ? {} : { event: q.event }),
    ...(q.from === undefined ? {} : { from: q.from }),
    ...(q.to === undefined ? {} : { to: q.to }),
    ...(q.before_seq === undefined ? {} : { beforeSeq: q.before_seq }),
  });
  // The JSON routes as the relay has them, over the same replica.
  app.get('/api/events', { schema: { querystring: EventsQuery } }, (req) => ({ events: replica.queryEvents(toPage(req.query)) }));
  app.get('/api/zones/:zone/history', { schema: { querystring: HistoryQuery } }, (req) => {
    const w = historyWindow(req.query, NOW);
    if (!w.ok) throw new Error(w.message);
    const zone = (req.params as { zone: string }).zone;
    return { zone, from: w.from, to: w.to, points: replica.history(zone, w.from, w.to, w.points) };
  });
  registerCsvRoutes(app, {
    events: (q) => {
      reads.pages++;
      const page = replica.queryEvents(q);
      reads.rows += page.length;
      reads.onPage?.(page);
      return page;
    },
    history: (zone, from, to, points) => replica.history(zone, from, to, points),
    hasZone: (zone) => /^Z\d$/.test(zone),
    timeZone: () => 'America/Denver',
    now: () => NOW,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** The JSON route's events for a filter, every page of it (before_seq from each page's last). */
async function jsonEvents(url: string, filter: string): Promise<EventEntry[]> {
  const all: EventEntry[] = [];
  const q = new URLSearchParams(filter);
  q.set('limit', '2000');
  for (;;) {
    const page = EventsReply.parse(await (await fetch(`${url}/api/events?${q.toString()}`)).json()).events;
    all.push(...page);
    if (page.length < 2000) return all;
    q.set('before_seq', String((page[page.length - 1] as EventEntry).seq));
  }
}

/** A CSV answer's text, its byte order mark checked and kept out (fetch's text() would drop it unseen). */
async function csvText(res: Response): Promise<string> {
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect([...bytes.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(CSV_BOM.length);
}

const cell = (v: number | null | undefined) => (v === null || v === undefined ? '' : String(v));

/** What an event's row must read back as, built from the JSON's values (the guard's quote on text that starts like a formula). */
function expectedRow(e: EventEntry): string[] {
  const text = (v: string | null) => (v === null ? '' : /^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  return [
    String(e.seq),
    new Date(e.ts).toISOString(),
    siteIsoTime(e.ts, 'America/Denver'),
    text(e.source),
    text(e.zone),
    text(e.event),
    cell(e.room_c),
    cell(e.pipe_c),
    cell(e.outdoor_c),
    cell(e.setpoint_c),
    cell(e.duration_s),
    text(e.detail),
  ];
}

describe('GET /api/events.csv over the relay’s replica', () => {
  it('answers a download with a header row and, for each filter, the JSON route’s rows', async () => {
    const url = await serve(seededReplica(5000));
    const from = T0 + 1000 * 60_000;
    const to = T0 + 3000 * 60_000;
    for (const filter of ['', 'zone=Z2', 'event=COMMAND', `zone=Z1&event=SAMPLE&from=${from}&to=${to}`, 'before_seq=2500', 'limit=1234', 'zone=Z3&limit=3', 'zone=nowhere', 'event=ON,OFF,COMMAND,OFF', 'zone=Z2&event=ALERT,SAMPLE&limit=700']) {
      const res = await fetch(`${url}/api/events.csv?${filter}`);
      expect(res.status, filter).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="events-[A-Za-z0-9_]+-[A-Za-z_]+-2026-11-30\.csv"$/);
      const [header, ...rows] = parseCsv(await csvText(res));
      expect(header).toEqual(['seq', 'time_utc', 'time_local (America/Denver)', 'source', 'zone', 'event', 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duration_s', 'detail']);
      const limit = /limit=(\d+)/.exec(filter);
      let json = await jsonEvents(url, filter.replace(/&?limit=\d+/, ''));
      if (limit !== null) json = json.slice(0, Number(limit[1]));
      expect(rows.length, filter).toBe(json.length);
      expect(rows, filter).toEqual(json.map(expectedRow));
    }
    expect((await fetch(`${url}/api/events.csv?zone=Z1&event=ON`)).headers.get('content-disposition')).toBe('attachment; filename="events-Z1-ON-2026-11-30.csv"');
    expect((await fetch(`${url}/api/events.csv?event=ON,OFF`)).headers.get('content-disposition')).toBe('attachment; filename="events-all-ON_OFF-2026-11-30.csv"');
    // The hostile details came through quoted and guarded, and numbers read back as the JSON had them.
    const rows = parseCsv(await csvText(await fetch(`${url}/api/events.csv?limit=40`))).slice(1);
    expect(rows.map((r) => r[11])).toEqual(expect.arrayContaining(['a, "quoted"\r\nline', "'=1+1", "'-cmd", "'@x", 'ünïcødé °C', "'+SUM(A1:A9)", '']));
    expect(rows.map((r) => r[8]).every((v) => v !== undefined && v.startsWith('-') && Number.isFinite(Number(v)))).toBe(true);
  });

  it('answers HEAD with the export’s headers and no body', async () => {
    const url = await serve(seededReplica(3000));
    const res = await fetch(`${url}/api/events.csv`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="events-all-all-/);
    expect(await res.text()).toBe('');
    // The server is still whole: a GET after it answers in full.
    expect(parseCsv(await csvText(await fetch(`${url}/api/events.csv?limit=10`))).length).toBe(11);
  });

  it('refuses a bad query with 400 and its reason, before reading anything', async () => {
    const reads: Reads = { pages: 0, rows: 0 };
    const url = await serve(seededReplica(10), reads);
    for (const [q, reason] of [
      ['event=NOPE', /event must be one of/],
      ['event=ON,NOPE', /or several of them joined by commas/],
      ['event=ON,', /event must be one of/],
      ['limit=0', /limit must be an integer/],
      ['from=abc', /from must be an integer/],
      ['zone=a&zone=b', /zone is given 2 times/],
      ['before_seq=-1', /before_seq must be an integer/],
    ] as const) {
      const res = await fetch(`${url}/api/events.csv?${q}`);
      expect(res.status, q).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('invalid_query');
      expect(body.error.message).toMatch(reason);
    }
    expect(reads.pages).toBe(0);
    const history = await fetch(`${url}/api/zones/Z1/history.csv?from=10&to=5`);
    expect(history.status).toBe(400);
    expect(((await history.json()) as { error: { message: string } }).error.message).toMatch(/from must be before to/);
    expect((await fetch(`${url}/api/zones/Z1/history.csv?points=0`)).status).toBe(400);
    const unknown = await fetch(`${url}/api/zones/nope/history.csv`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_zone');
  });

  it('streams a big export: the first bytes arrive before the last page is read, and the reads never run far ahead of a slow client', async () => {
    const n = 300_000;
    // What the server has made so far (each page read, as CSV), beside what the client has taken.
    const flow = { made: 0, taken: 0, aheadMax: 0 };
    const reads: Reads = {
      pages: 0,
      rows: 0,
      onPage: (page) => {
        for (const e of page) flow.made += Buffer.byteLength(eventCsvLine(e, 'America/Denver'));
        flow.aheadMax = Math.max(flow.aheadMax, flow.made - flow.taken);
      },
    };
    // No samples: the replica's rollups are not what this measures, and they make the seeding slow.
    const url = await serve(seededReplica(n, ['ON', 'OFF', 'ALERT', 'COMMAND']), reads);
    const totalPages = Math.ceil(n / CSV_PAGE_EVENTS);
    const pagesAtFirstByte = await new Promise<number>((resolve, reject) => {
      const req = request(`${url}/api/events.csv`, (res) => {
        let first = -1;
        res.on('data', (chunk: Buffer) => {
          if (first === -1) first = reads.pages;
          flow.taken += chunk.length;
          // A slow reader: each chunk taken a turn of the event loop after it came.
          res.pause();
          setImmediate(() => res.resume());
        });
        res.on('end', () => resolve(first));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(reads.rows).toBe(n);
    // The whole file is far larger than the bound below: a server that read it all before sending would pass it.
    expect(flow.taken).toBeGreaterThan(32 * 1024 * 1024);
    expect(pagesAtFirstByte).toBeGreaterThanOrEqual(0);
    expect(pagesAtFirstByte).toBeLessThan(totalPages);
    // Never further ahead of the client than the sockets' buffers and a page or two (loopback TCP buffers top out at a few MiB each way).
    expect(flow.aheadMax).toBeLessThan(16 * 1024 * 1024);
  });
});

describe('GET /api/zones/:zone/history.csv over the relay’s replica', () => {
  it('answers the JSON route’s points for the same window, °C, setpoint and duty in named columns', async () => {
    const url = await serve(seededReplica(6000));
    const q = `from=${T0}&to=${T0 + 6000 * 60_000}&points=50`;
    const json = HistoryReply.parse(await (await fetch(`${url}/api/zones/Z1/history?${q}`)).json()).points;
    const res = await fetch(`${url}/api/zones/Z1/history.csv?${q}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="history-Z1-2026-10-31-to-2026-11-04.csv"');
    const [header, ...rows] = parseCsv(await csvText(res));
    expect(header).toEqual(['time_utc', 'time_local (America/Denver)', 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duty (0-1)']);
    expect(json.length).toBeGreaterThan(10);
    expect(rows).toEqual(json.map((p) => [new Date(p.ts).toISOString(), siteIsoTime(p.ts, 'America/Denver'), cell(p.room_c), cell(p.pipe_c), cell(p.outdoor_c), cell(p.setpoint_c), cell(p.duty)]));
    expect(rows.some((r) => r[5] !== '')).toBe(true);
    // Numbers read back exactly as the JSON holds them.
    expect(rows.map((r) => (r[2] === '' ? null : Number(r[2])))).toEqual(json.map((p) => p.room_c));
  });
});
