// The middle of the bare durable round trip, with the relay's durability and nothing else: an HTTP
// POST commits the command (WAL, synchronous NORMAL), hands it to the far end over ws, and answers
// 202 once an fdatasync of the WAL (on the thread pool, as the relay's WalSync) has it on the disk;
// the far end's answer is committed the same way (its sync not waited for: the far end holds it)
// and pushed to every live ws client.
import { fdatasync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import WebSocket, { WebSocketServer } from 'ws';

const upstreamPort = Number(process.argv[2]);
const dir = mkdtempSync(join(tmpdir(), 'bench-durable-relay-'));
const db = new Database(join(dir, 'queue.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec("CREATE TABLE commands (id TEXT PRIMARY KEY, body TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'queued')");
const wal = openSync(join(dir, 'queue.db-wal'), 'r');
const insert = db.prepare('INSERT INTO commands (id, body) VALUES (?, ?)');
const finish = db.prepare('UPDATE commands SET state = ? WHERE id = ?');
process.on('exit', () => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGTERM', () => process.exit(0));

const up = new WebSocket(`ws://127.0.0.1:${upstreamPort}`, { perMessageDeflate: false });
const live = new WebSocketServer({ noServer: true, perMessageDeflate: false });
up.on('message', (data) => {
  const answer = JSON.parse(String(data)) as { id: string; outcome: string };
  finish.run(answer.outcome, answer.id);
  fdatasync(wal, () => undefined);
  const frame = JSON.stringify({ type: 'command', command: { id: answer.id, state: answer.outcome } });
  for (const c of live.clients) c.send(frame);
});

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const m = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string; body: unknown };
    insert.run(m.id, JSON.stringify(m.body));
    up.send(JSON.stringify(m));
    fdatasync(wal, (err) => {
      if (err !== null) res.writeHead(500).end();
      else res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ id: m.id, state: 'sent' }));
    });
  });
});
server.on('upgrade', (req, socket, head) => live.handleUpgrade(req, socket, head, (ws) => live.emit('connection', ws)));
up.on('open', () =>
  server.listen(0, '127.0.0.1', () => {
    const a = server.address();
    console.log(JSON.stringify({ port: typeof a === 'object' && a !== null ? a.port : 0 }));
  }),
);
