import { basename, dirname, extname, join } from 'node:path';
import Database from 'better-sqlite3';
import { runMigrations, userVersion, type SchemaMigration } from '@boiler/service';
import { Notice } from './notice.js';

/** The outbox's file beside the replica's: relay.db → relay-notify.db. */
export function notifyFileBeside(dbPath: string): string {
  const ext = extname(dbPath);
  return join(dirname(dbPath), `${basename(dbPath, ext)}-notify${ext === '' ? '.db' : ext}`);
}

const MIGRATIONS: readonly SchemaMigration[] = [
  {
    name: 'episodes and deliveries',
    up(db) {
      db.exec(`
        CREATE TABLE notify_episodes (
          key TEXT PRIMARY KEY,
          source TEXT NOT NULL,
          zone TEXT,
          message TEXT NOT NULL,
          opened_at INTEGER NOT NULL,
          last_notice_at INTEGER NOT NULL,
          reminders INTEGER NOT NULL DEFAULT 0,
          acknowledged INTEGER NOT NULL DEFAULT 0 CHECK (acknowledged IN (0, 1))
        );
        CREATE TABLE notify_deliveries (
          rowid INTEGER PRIMARY KEY,
          notice_id TEXT NOT NULL,
          channel TEXT NOT NULL,
          notice TEXT NOT NULL CHECK (json_valid(notice)),
          state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'expired')),
          attempts INTEGER NOT NULL DEFAULT 0,
          next_at INTEGER NOT NULL,
          last_error TEXT,
          created_at INTEGER NOT NULL,
          sent_at INTEGER,
          UNIQUE (notice_id, channel)
        );
        CREATE INDEX notify_deliveries_due ON notify_deliveries (channel, state, next_at);
      `);
    },
  },
];

export class NotifyStoreError extends Error {
  override name = 'NotifyStoreError';
}

export interface Episode {
  key: string;
  source: string;
  zone: string | null;
  message: string;
  opened_at: number;
  last_notice_at: number;
  reminders: number;
  acknowledged: boolean;
}

export interface Delivery {
  rowid: number;
  channel: string;
  notice: Notice;
  attempts: number;
  next_at: number;
  created_at: number;
}

interface DeliveryRow {
  rowid: number;
  channel: string;
  notice: string;
  attempts: number;
  next_at: number;
  created_at: number;
}

/**
 * The notifications' durable state in its own SQLite file: the open episodes and the outbox (one
 * row per notice and channel). A notice and the episode change that caused it are written in one
 * transaction at synchronous=FULL, so a relay killed at any moment has either both or neither.
 */
export class NotifyStore {
  private constructor(private readonly db: Database.Database) {}

  static open(path: string): NotifyStore {
    const db = new Database(path);
    try {
      db.pragma('busy_timeout = 5000');
      db.pragma('journal_mode = WAL');
      // Few writes (a notice is rare): every commit is on the disk before the relay goes on.
      db.pragma('synchronous = FULL');
      runMigrations(db, MIGRATIONS, userVersion((d) => d.pragma('user_version', { simple: true }) as number), {
        tooNew: (found, known) => new NotifyStoreError(`${path}: notifications schema ${found} is newer than this relay knows (${known})`),
        failed: (v, name, cause) => new NotifyStoreError(`${path}: notifications migration ${v} (${name}) failed: ${String(cause)}`),
      });
      return new NotifyStore(db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  close(): void {
    this.db.close();
  }

  /** Runs `fn` in one immediate transaction. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  episodes(): Episode[] {
    const rows = this.db.prepare('SELECT * FROM notify_episodes ORDER BY opened_at, key').all() as (Omit<Episode, 'acknowledged'> & { acknowledged: number })[];
    return rows.map((r) => ({ ...r, acknowledged: r.acknowledged === 1 }));
  }

  episode(key: string): Episode | undefined {
    const r = this.db.prepare('SELECT * FROM notify_episodes WHERE key = ?').get(key) as (Omit<Episode, 'acknowledged'> & { acknowledged: number }) | undefined;
    return r === undefined ? undefined : { ...r, acknowledged: r.acknowledged === 1 };
  }

  openEpisode(e: Omit<Episode, 'reminders' | 'acknowledged'> & { acknowledged?: boolean }): void {
    this.db
      .prepare('INSERT INTO notify_episodes (key, source, zone, message, opened_at, last_notice_at, reminders, acknowledged) VALUES (?, ?, ?, ?, ?, ?, 0, ?)')
      .run(e.key, e.source, e.zone, e.message, e.opened_at, e.last_notice_at, e.acknowledged === true ? 1 : 0);
  }

  closeEpisode(key: string): void {
    this.db.prepare('DELETE FROM notify_episodes WHERE key = ?').run(key);
  }

  acknowledge(key: string): boolean {
    return this.db.prepare('UPDATE notify_episodes SET acknowledged = 1 WHERE key = ? AND acknowledged = 0').run(key).changes > 0;
  }

  reminded(key: string, at: number): void {
    this.db.prepare('UPDATE notify_episodes SET last_notice_at = ?, reminders = reminders + 1 WHERE key = ?').run(at, key);
  }

  /** Puts a notice in the outbox for each channel, due at once. */
  enqueue(notice: Notice, channels: readonly string[]): void {
    const insert = this.db.prepare("INSERT INTO notify_deliveries (notice_id, channel, notice, state, attempts, next_at, created_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)");
    const text = JSON.stringify(notice);
    for (const c of channels) insert.run(notice.id, c, text, notice.at, notice.at);
  }

  /** The oldest notice due on a channel, or the time the next one falls due (null: nothing pending). */
  nextDue(channel: string, now: number): Delivery | { waitUntil: number | null } {
    const row = this.db
      .prepare("SELECT rowid, channel, notice, attempts, next_at, created_at FROM notify_deliveries WHERE channel = ? AND state = 'pending' AND next_at <= ? ORDER BY created_at, rowid LIMIT 1")
      .get(channel, now) as DeliveryRow | undefined;
    if (row === undefined) {
      const next = this.db.prepare("SELECT min(next_at) AS at FROM notify_deliveries WHERE channel = ? AND state = 'pending'").get(channel) as { at: number | null };
      return { waitUntil: next.at };
    }
    const parsed = Notice.safeParse(JSON.parse(row.notice));
    if (!parsed.success) {
      // A row this relay cannot read (a damaged file): marked expired rather than retried for ever.
      this.db.prepare("UPDATE notify_deliveries SET state = 'expired', last_error = ? WHERE rowid = ?").run('unreadable notice row', row.rowid);
      return this.nextDue(channel, now);
    }
    return { rowid: row.rowid, channel: row.channel, notice: parsed.data, attempts: row.attempts, next_at: row.next_at, created_at: row.created_at };
  }

  markSent(rowid: number, at: number): void {
    this.db.prepare("UPDATE notify_deliveries SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL WHERE rowid = ?").run(at, rowid);
  }

  markFailed(rowid: number, error: string, nextAt: number | null): void {
    if (nextAt === null) this.db.prepare("UPDATE notify_deliveries SET state = 'expired', attempts = attempts + 1, last_error = ? WHERE rowid = ?").run(error.slice(0, 500), rowid);
    else this.db.prepare('UPDATE notify_deliveries SET attempts = attempts + 1, last_error = ?, next_at = ? WHERE rowid = ?').run(error.slice(0, 500), nextAt, rowid);
  }

  /** Per channel: notices pending, sent and expired. */
  counts(): Map<string, { pending: number; sent: number; expired: number }> {
    const rows = this.db.prepare('SELECT channel, state, count(*) AS n FROM notify_deliveries GROUP BY channel, state').all() as { channel: string; state: 'pending' | 'sent' | 'expired'; n: number }[];
    const out = new Map<string, { pending: number; sent: number; expired: number }>();
    for (const r of rows) {
      const c = out.get(r.channel) ?? { pending: 0, sent: 0, expired: 0 };
      c[r.state] = r.n;
      out.set(r.channel, c);
    }
    return out;
  }

  /** Every delivery of a notice (tests and the API's view). */
  deliveries(noticeId?: string): { channel: string; notice_id: string; state: string; attempts: number; last_error: string | null }[] {
    const sql = 'SELECT channel, notice_id, state, attempts, last_error FROM notify_deliveries' + (noticeId === undefined ? ' ORDER BY rowid' : ' WHERE notice_id = ? ORDER BY rowid');
    const stmt = this.db.prepare(sql);
    return (noticeId === undefined ? stmt.all() : stmt.all(noticeId)) as { channel: string; notice_id: string; state: string; attempts: number; last_error: string | null }[];
  }
}
