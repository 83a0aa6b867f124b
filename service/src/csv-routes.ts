import { Readable } from 'node:stream';
import { z } from 'zod';
import { EventsCsvQuery, HistoryQuery, historyWindow, type EventEntry, type HistoryPoint } from '@boiler/shared';
import type { FastifyReply } from 'fastify';
import { CSV_CONTENT_TYPE, attachment, eventsCsv, fileNamePart, historyCsv, siteDate, type EventPageQuery } from './csv.js';
import { HttpError } from './http.js';
import type { HttpApp } from './http-app.js';

/** What the CSV routes read from the server they are on: the same reads its JSON routes make. */
export interface CsvExportSource {
  /** Events matching every given filter, newest first, at most `limit` (up to 2,000): the JSON route's read, uncached. */
  events(query: EventPageQuery): readonly EventEntry[];
  /** A zone's history: the JSON route's read. */
  history(zone: string, from: number, to: number, points: number): readonly HistoryPoint[];
  hasZone(zone: string): boolean | Promise<boolean>;
  /** The site's IANA time zone; null while the server has not heard it (the relay before the agent spoke). */
  timeZone(): string | null | Promise<string | null>;
  /** Where a history window without `to` ends: the clock the server's JSON history route uses. */
  now(): number;
}

const ZoneParams = z.object({ zone: z.string() });

/**
 * `GET /api/events.csv` and `GET /api/zones/:zone/history.csv`, with the query parameters of
 * their JSON routes (an events export without `limit` has every matching event), streamed.
 * Auth is the server's own `/api/` hook, as for every route there.
 */
export function registerCsvRoutes(app: HttpApp, source: CsvExportSource): void {
  async function siteZone(): Promise<string> {
    const timeZone = await source.timeZone();
    if (timeZone === null) throw new HttpError(503, 'no_data_yet', 'the site’s time zone is not known yet: nothing has been heard from the agent');
    return timeZone;
  }

  app.get('/api/events.csv', { schema: { querystring: EventsCsvQuery } }, async (req, reply) => {
    const q = req.query;
    const timeZone = await siteZone();
    const name = ['events', q.zone === undefined ? 'all' : fileNamePart(q.zone), q.event === undefined ? 'all' : typeof q.event === 'string' ? q.event : q.event.join('_'), siteDate(source.now(), timeZone)].join('-');
    const rows = eventsCsv(
      (page) => source.events(page),
      {
        ...(q.zone === undefined ? {} : { zone: q.zone }),
        ...(q.event === undefined ? {} : { event: q.event }),
        ...(q.from === undefined ? {} : { from: q.from }),
        ...(q.to === undefined ? {} : { to: q.to }),
        ...(q.before_seq === undefined ? {} : { beforeSeq: q.before_seq }),
        limit: q.limit,
      },
      timeZone,
    );
    return sendCsv(reply, `${name}.csv`, rows);
  });

  app.get('/api/zones/:zone/history.csv', { schema: { params: ZoneParams, querystring: HistoryQuery } }, async (req, reply) => {
    const zone = req.params.zone;
    if (!(await source.hasZone(zone))) throw new HttpError(404, 'unknown_zone', `no zone ${zone}`);
    const window = historyWindow(req.query, source.now());
    if (!window.ok) throw new HttpError(400, 'invalid_query', window.message);
    const timeZone = await siteZone();
    const points = source.history(zone, window.from, window.to, window.points);
    const name = `history-${fileNamePart(zone)}-${siteDate(window.from, timeZone)}-to-${siteDate(window.to - 1, timeZone)}.csv`;
    return sendCsv(reply, name, historyCsv(points, timeZone));
  });
}

/** Sends CSV chunks as a stream the response pulls from: the next chunk is made once the socket took the last. */
function sendCsv(reply: FastifyReply, fileName: string, chunks: AsyncGenerator<string, void, undefined>): FastifyReply {
  const body = Readable.from(chunks, { objectMode: false, highWaterMark: 16 * 1024 });
  return reply.type(CSV_CONTENT_TYPE).header('content-disposition', attachment(fileName)).send(body);
}
