import type Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { SchemaMigration } from '../../src/sqlite.js';

/** What each migration adds, by the version it takes the file to; a migration without an entry fails the completeness check. */
export type SchemaAdds = Record<number, { tables: string[]; indexes: string[] }>;

/** The file's own tables (not SQLite's), and whether each is STRICT. */
export function schemaTables(db: Database.Database): Map<string, { strict: boolean }> {
  const rows = db.pragma('table_list') as { schema: string; name: string; type: string; strict: number }[];
  return new Map(
    rows.filter((r) => r.schema === 'main' && r.type === 'table' && !r.name.startsWith('sqlite_')).map((r) => [r.name, { strict: r.strict === 1 }]),
  );
}

/** The file's own indexes (not the automatic ones). */
export function schemaIndexes(db: Database.Database): Set<string> {
  const rows = db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[];
  return new Set(rows.map((r) => r.name));
}

/** Every migration has an entry in `adds`, numbered 1..n, and the part's schema version is n. */
export function expectEntryPerMigration(adds: SchemaAdds, migrations: readonly SchemaMigration[], schemaVersion: number): void {
  expect(Object.keys(adds).map(Number)).toEqual(migrations.map((_, i) => i + 1));
  expect(schemaVersion).toBe(migrations.length);
}

/**
 * The file is at `version` (as `readVersion` reads it) with exactly the tables and indexes of
 * migrations 1..version, every table STRICT. Each named table and index is checked on its own
 * first, so a failure names the one that is missing or left over.
 */
export function expectSchemaAt(db: Database.Database, adds: SchemaAdds, readVersion: (db: Database.Database) => number, version: number): void {
  expect(readVersion(db)).toBe(version);
  const t = schemaTables(db);
  const i = schemaIndexes(db);
  for (const [v, step] of Object.entries(adds)) {
    const present = Number(v) <= version;
    for (const name of step.tables) expect(t.has(name), `table ${name} after migration ${version}`).toBe(present);
    for (const name of step.indexes) expect(i.has(name), `index ${name} after migration ${version}`).toBe(present);
  }
  const want = Object.entries(adds).filter(([v]) => Number(v) <= version);
  expect([...t.keys()].sort()).toEqual(want.flatMap(([, a]) => a.tables).sort());
  expect([...i].sort()).toEqual(want.flatMap(([, a]) => a.indexes).sort());
  for (const [name, { strict }] of t) expect(strict, `table ${name} is STRICT`).toBe(true);
}

/** `migrate` run on a fresh `db` with the first `version` migrations: it reports 0 → version. */
export function migratedTo(
  db: Database.Database,
  migrate: (db: Database.Database, migrations: readonly SchemaMigration[]) => { from: number; to: number },
  migrations: readonly SchemaMigration[],
  version: number,
): Database.Database {
  expect(migrate(db, migrations.slice(0, version))).toEqual({ from: 0, to: version });
  return db;
}

/** The migrations, each counting its runs in `runs`: how a test sees that reopening a file runs nothing again. */
export function countingMigrations(migrations: readonly SchemaMigration[]): { migrations: SchemaMigration[]; runs: number[] } {
  const runs = migrations.map(() => 0);
  return {
    runs,
    migrations: migrations.map((m, i) => ({
      name: m.name,
      up(db: Database.Database) {
        runs[i] = (runs[i] ?? 0) + 1;
        m.up(db);
      },
    })),
  };
}

/** A migration that creates a table and then fails: rolled back whole, the table must not be left behind. */
export function halfDoneMigration(table: string, message = 'disk on fire'): SchemaMigration {
  return {
    name: 'half done',
    up(db) {
      db.exec(`CREATE TABLE ${table} (x INTEGER) STRICT`);
      throw new Error(message);
    },
  };
}
