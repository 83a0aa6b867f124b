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

/** One step of a schema; `up` runs inside its own transaction together with the version bump. */
export interface SchemaMigration {
  readonly name: string;
  up(db: Database.Database): void;
}

/** Where a schema's version lives (PRAGMA user_version, or a table of a part that shares the file). */
export interface SchemaVersion {
  read(db: Database.Database): number;
  write(db: Database.Database, version: number): void;
}

/**
 * Brings a schema up to date: migration i takes version i to i + 1, each in its own immediate
 * transaction with its version bump. A file newer than the list is refused; a failing step is
 * rolled back and reported. Another connection migrating at the same time is harmless: each
 * step re-reads the version under the write lock.
 */
export function runMigrations(
  db: Database.Database,
  migrations: readonly SchemaMigration[],
  version: SchemaVersion,
  errors: { tooNew(found: number, known: number): Error; failed(version: number, name: string, cause: unknown): Error },
): { from: number; to: number } {
  const from = version.read(db);
  if (from > migrations.length) throw errors.tooNew(from, migrations.length);
  for (const [v, migration] of migrations.entries()) {
    if (v < from) continue;
    try {
      db.transaction(() => {
        if (version.read(db) !== v) return;
        migration.up(db);
        version.write(db, v + 1);
      }).immediate();
    } catch (err) {
      throw errors.failed(v, migration.name, err);
    }
  }
  return { from, to: migrations.length };
}

/** The schema version in PRAGMA user_version (one part owns the file's). */
export function userVersion(read: (db: Database.Database) => number): SchemaVersion {
  return { read, write: (db, v) => db.pragma(`user_version = ${v}`) };
}
