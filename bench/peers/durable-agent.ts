// The far end of the bare durable round trip: a ws server that stores each command (one row, its
// own transaction at synchronous FULL in a WAL file, as the agent does) and only then answers it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loopbackServer } from './loopback-server.js';

const dir = mkdtempSync(join(tmpdir(), 'bench-durable-agent-'));
const db = new Database(join(dir, 'agent.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE commands (id TEXT PRIMARY KEY, body TEXT NOT NULL, done_at INTEGER NOT NULL)');
const insert = db.prepare('INSERT INTO commands (id, body, done_at) VALUES (?, ?, ?)');
process.on('exit', () => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});
process.on('SIGTERM', () => process.exit(0));

const wss = loopbackServer();
wss.on('connection', (ws) =>
  ws.on('message', (data) => {
    const m = JSON.parse(String(data)) as { id: string; body: unknown };
    insert.run(m.id, JSON.stringify(m.body), Date.now());
    ws.send(JSON.stringify({ id: m.id, outcome: 'succeeded' }));
  }),
);
