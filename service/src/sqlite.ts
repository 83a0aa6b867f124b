import type Database from 'better-sqlite3';

/** A connection's prepared statements by their SQL text: each is prepared once and reused. */
export class StatementCache {
  private readonly statements = new Map<string, Database.Statement>();

  constructor(private readonly db: Database.Database) {}

  get(sql: string): Database.Statement {
    let s = this.statements.get(sql);
    if (s === undefined) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }
}

/** Wraps an opened connection, closing it if the wrapper refuses it (a schema it cannot use). */
export function wrapOpened<T>(db: Database.Database, wrap: (db: Database.Database) => T): T {
  try {
    return wrap(db);
  } catch (err) {
    db.close();
    throw err;
  }
}

type RawFrame = Buffer | ArrayBuffer | Buffer[];

/** A binary websocket message (as the ws package delivers it) as one byte array. */
export function frameBytes(data: RawFrame): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
