// The far end of the bare catch-up: the agent's log read in pages and sent, nothing else. Asked for
// a range, it reads it 1,000 rows at a time (the agent's catch-up page) and sends each page as
// gzip (level 1, as the codec) of its JSON, one ws frame a page. No envelope, no checksum, no auth.
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { loopbackServer } from './loopback-server.js';

const PAGE = 1000;
const db = new Database(process.argv[2] ?? '', { readonly: true, fileMustExist: true });
const page = db.prepare('SELECT * FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?');
process.on('SIGTERM', () => process.exit(0));

const wss = loopbackServer();
wss.on('connection', (ws) =>
  ws.on('message', (data) => {
    const { after, to } = JSON.parse(String(data)) as { after: number; to: number };
    for (let cursor = after; cursor < to; ) {
      const rows = page.all(cursor, to, PAGE) as { seq: number }[];
      if (rows.length === 0) break;
      ws.send(gzipSync(JSON.stringify({ events: rows }), { level: 1 }));
      cursor = (rows[rows.length - 1] as { seq: number }).seq;
    }
  }),
);
