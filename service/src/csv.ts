import type { EventEntry, EventKind, HistoryPoint } from '@boiler/shared';

// CSV exports of the event log and of a zone's history, written as RFC 4180 says (CRLF line
// ends, a field quoted when it holds a comma, a quote, CR or LF, quotes doubled), one header row,
// each instant twice: UTC ISO 8601 and the site's wall clock with its offset. The rows come from
// the same reads the JSON routes answer with, so an export and the JSON agree row for row.

/** The content type of every export. */
export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/**
 * Starts the file: a UTF-8 byte order mark, so a spreadsheet opened by a double click (Excel)
 * reads the header's °C as UTF-8 rather than its code page; CSV readers that know UTF-8 skip it.
 */
export const CSV_BOM = '\uFEFF';

/** Characters a spreadsheet may take as the start of a formula (OWASP's CSV injection list). */
const FORMULA_START = /^[=+\-@\t\r]/;
/** A field that must be quoted (RFC 4180 §2.6). */
const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One text field: a leading `'` when it starts like a formula, so a detail string from the wire
 * cannot run in the owner's spreadsheet (OWASP), then quoted if it must be. Numbers are written by
 * `numberCell`, never through this, so a negative temperature stays a number.
 */
export function textCell(value: string | null): string {
  if (value === null) return '';
  const guarded = FORMULA_START.test(value) ? `'${value}` : value;
  return NEEDS_QUOTES.test(guarded) ? `"${guarded.replaceAll('"', '""')}"` : guarded;
}

/** A number as JavaScript's shortest round-trip form (what JSON writes), empty for null. */
export function numberCell(value: number | null): string {
  return value === null ? '' : String(value);
}

/** One CSV record, CRLF-terminated. */
export function csvLine(cells: readonly string[]): string {
  return `${cells.join(',')}\r\n`;
}

const wallFormats = new Map<string, Intl.DateTimeFormat>();

function wallFormat(timeZone: string): Intl.DateTimeFormat {
  let f = wallFormats.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      era: 'short',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    wallFormats.set(timeZone, f);
  }
  return f;
}

function isoYear(year: number): string {
  if (year >= 0 && year <= 9999) return String(year).padStart(4, '0');
  return `${year < 0 ? '-' : '+'}${String(Math.abs(year)).padStart(6, '0')}`;
}

const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * An instant on the site's wall clock in ISO 8601 with its UTC offset, to the millisecond:
 * `2026-12-02T10:04:52.123-07:00`. The offset makes the two 01:30s of a daylight-saving night
 * tell apart; the UTC column says the same instant without it.
 */
export function siteIsoTime(epochMs: number, timeZone: string): string {
  const parts = wallFormat(timeZone).formatToParts(new Date(epochMs));
  let year = 0;
  let month = 0;
  let day = 0;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const p of parts) {
    switch (p.type) {
      case 'year':
        year = Number(p.value);
        break;
      case 'month':
        month = Number(p.value);
        break;
      case 'day':
        day = Number(p.value);
        break;
      case 'hour':
        hour = Number(p.value);
        break;
      case 'minute':
        minute = Number(p.value);
        break;
      case 'second':
        second = Number(p.value);
        break;
      case 'era':
        bc = p.value === 'BC' || p.value === 'B';
        break;
      default:
        break;
    }
  }
  // The proleptic year ISO counts: 1 BC is year 0.
  if (bc) year = 1 - year;
  const ms = ((epochMs % 1000) + 1000) % 1000;
  // The wall clock read as if it were UTC (setUTCFullYear: Date.UTC takes 0..99 as 1900..1999).
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  const wall = d.getTime();
  const offsetMin = Math.round((wall - epochMs) / 60_000);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return `${isoYear(year)}-${pad2(month)}-${pad2(day)}T${pad2(hour)}:${pad2(minute)}:${pad2(second)}.${String(ms).padStart(3, '0')}${sign}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

/** An instant in UTC, ISO 8601 to the millisecond. */
export function utcIsoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/** The setpoint recorded with an event or a point; absent in what servers wrote before they recorded one. */
const setpointOf = (row: { setpoint_c?: number | null }): number | null => row.setpoint_c ?? null;

/** The events export's header: the event log's columns, the instant twice, each temperature's unit named. */
export function eventsCsvHeader(timeZone: string): string {
  return csvLine(['seq', 'time_utc', textCell(`time_local (${timeZone})`), 'source', 'zone', 'event', 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duration_s', 'detail']);
}

/** One event as a CSV record, in eventsCsvHeader's columns. */
export function eventCsvLine(e: EventEntry, timeZone: string): string {
  return csvLine([
    String(e.seq),
    utcIsoTime(e.ts),
    siteIsoTime(e.ts, timeZone),
    textCell(e.source),
    textCell(e.zone),
    textCell(e.event),
    numberCell(e.room_c),
    numberCell(e.pipe_c),
    numberCell(e.outdoor_c),
    numberCell(setpointOf(e)),
    numberCell(e.duration_s),
    textCell(e.detail),
  ]);
}

/** The history export's header: a point's start, temperatures in °C, the setpoint in force, the output's duty (0 to 1). */
export function historyCsvHeader(timeZone: string): string {
  return csvLine(['time_utc', textCell(`time_local (${timeZone})`), 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duty (0-1)']);
}

/** One history point as a CSV record, in historyCsvHeader's columns. */
export function historyCsvLine(p: HistoryPoint, timeZone: string): string {
  return csvLine([utcIsoTime(p.ts), siteIsoTime(p.ts, timeZone), numberCell(p.room_c), numberCell(p.pipe_c), numberCell(p.outdoor_c), numberCell(setpointOf(p)), numberCell(p.duty)]);
}

/** The events read both servers' JSON route makes: filters, newest first, at most `limit`. */
export interface EventPageQuery {
  zone?: string;
  event?: EventKind | readonly EventKind[];
  from?: number;
  to?: number;
  beforeSeq?: number;
  limit: number;
}

/** How many events one page of an export reads: a short read that leaves the database free between pages. */
export const CSV_PAGE_EVENTS = 500;

/**
 * The events export, one chunk per page, newest first: the header, then pages read as the
 * consumer asks for them (a stream pulls the next only once the client has taken the last), each
 * page the events just below the previous one's last seq. Never more than one page is held, and no
 * statement stays open while the client is slow: better-sqlite3 keeps a connection busy while an
 * iterator is open, and the agent's connection is its control loop's too. Events logged after the
 * first page have higher seqs, so the export is the log as it stood at its start (less what
 * retention prunes meanwhile). `limit` undefined: every matching event.
 */
export async function* eventsCsv(
  read: (query: EventPageQuery) => readonly EventEntry[],
  query: Omit<EventPageQuery, 'limit'> & { limit?: number | undefined },
  timeZone: string,
): AsyncGenerator<string, void, undefined> {
  yield CSV_BOM + eventsCsvHeader(timeZone);
  let left = query.limit ?? Number.POSITIVE_INFINITY;
  let beforeSeq = query.beforeSeq;
  while (left > 0) {
    const asked = Math.min(CSV_PAGE_EVENTS, left);
    const page = read({
      ...(query.zone === undefined ? {} : { zone: query.zone }),
      ...(query.event === undefined ? {} : { event: query.event }),
      ...(query.from === undefined ? {} : { from: query.from }),
      ...(query.to === undefined ? {} : { to: query.to }),
      ...(beforeSeq === undefined ? {} : { beforeSeq }),
      limit: asked,
    });
    if (page.length === 0) return;
    let chunk = '';
    for (const e of page) chunk += eventCsvLine(e, timeZone);
    yield chunk;
    left -= page.length;
    if (page.length < asked) return;
    beforeSeq = (page[page.length - 1] as EventEntry).seq;
  }
}

/** The history export: the header, then the points (at most MAX_HISTORY_POINTS, already read). */
export async function* historyCsv(points: readonly HistoryPoint[], timeZone: string): AsyncGenerator<string, void, undefined> {
  yield CSV_BOM + historyCsvHeader(timeZone);
  const CHUNK = 500;
  for (let i = 0; i < points.length; i += CHUNK) {
    let chunk = '';
    for (const p of points.slice(i, i + CHUNK)) chunk += historyCsvLine(p, timeZone);
    yield chunk;
  }
}

/** A name part for a download's file name: letters, digits, `-` and `_` only, at most 40. */
export function fileNamePart(value: string): string {
  return value.replace(/[^A-Za-z0-9_-]+/g, '_').slice(0, 40) || '_';
}

/** The site's calendar date of an instant, YYYY-MM-DD (for file names). */
export function siteDate(epochMs: number, timeZone: string): string {
  return siteIsoTime(epochMs, timeZone).replace(/T.*$/, '');
}

/** A Content-Disposition header for a download; the name is ASCII by construction. */
export function attachment(fileName: string): string {
  return `attachment; filename="${fileName.replace(/[^A-Za-z0-9_.-]/g, '_')}"`;
}
