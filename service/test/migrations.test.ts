import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { runMigrations, userVersion, type SchemaMigration, type SchemaVersion } from '../src/sqlite.js';
import { useTempDir } from './support/temp-files.js';
import { countingMigrations, halfDoneMigration, schemaTables } from './support/schema.js';

// The runner the agent's store, the relay's replica and its queue each migrate with, on real files.

const dir = useTempDir('service-migrations-', 'parts.db');

class TooNew extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`version ${found} is newer than ${known}`);
  }
}

class Failed extends Error {
  constructor(readonly version: number, readonly step: string, override readonly cause: unknown) {
    super(`migration ${version + 1} (${step}) failed`);
  }
}

const errors = { tooNew: (found: number, known: number) => new TooNew(found, known), failed: (v: number, name: string, cause: unknown) => new Failed(v, name, cause) };
const pragmaVersion = userVersion((db) => db.pragma('user_version', { simple: true }) as number);

const STEPS: SchemaMigration[] = [
  { name: 'rooms', up: (db) => db.exec('CREATE TABLE rooms (name TEXT PRIMARY KEY) STRICT') },
  { name: 'readings', up: (db) => db.exec('CREATE TABLE readings (room TEXT NOT NULL, celsius REAL NOT NULL) STRICT') },
  { name: 'room floor', up: (db) => db.exec('ALTER TABLE rooms ADD COLUMN floor INTEGER NOT NULL DEFAULT 0') },
];

/** A version kept in a table of its own, as a part that shares the file with another keeps it. */
const tableVersion: SchemaVersion = {
  read(db) {
    const exists = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'part_schema'`).get() !== undefined;
    if (!exists) return 0;
    return (db.prepare('SELECT version FROM part_schema WHERE id = 1').get() as { version: number } | undefined)?.version ?? 0;
  },
  write(db, v) {
    db.exec('CREATE TABLE IF NOT EXISTS part_schema (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL) STRICT');
    db.prepare('INSERT INTO part_schema (id, version) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET version = excluded.version').run(v);
  },
};

describe('runMigrations', () => {
  it('takes a new file through every step in order and records the version', () => {
    const db = dir.raw();
    expect(runMigrations(db, STEPS, pragmaVersion, errors)).toEqual({ from: 0, to: 3 });
    expect(pragmaVersion.read(db)).toBe(3);
    expect([...schemaTables(db).keys()].sort()).toEqual(['readings', 'rooms']);
    expect((db.pragma('table_info(rooms)') as { name: string }[]).map((c) => c.name)).toEqual(['name', 'floor']);
  });

  it('runs only the steps past the file’s version, keeping its rows, and nothing on a second run', () => {
    const db = dir.raw();
    runMigrations(db, STEPS.slice(0, 1), pragmaVersion, errors);
    db.prepare(`INSERT INTO rooms (name) VALUES ('hall')`).run();
    const { migrations, runs } = countingMigrations(STEPS);
    expect(runMigrations(db, migrations, pragmaVersion, errors)).toEqual({ from: 1, to: 3 });
    expect(runs).toEqual([0, 1, 1]);
    expect(runMigrations(db, migrations, pragmaVersion, errors)).toEqual({ from: 3, to: 3 });
    expect(runs).toEqual([0, 1, 1]);
    expect(db.prepare('SELECT name, floor FROM rooms').all()).toEqual([{ name: 'hall', floor: 0 }]);
  });

  it('refuses a file newer than its list through the part’s error, touching nothing', () => {
    const db = dir.raw();
    db.pragma('user_version = 7');
    let thrown: unknown;
    try {
      runMigrations(db, STEPS, pragmaVersion, errors);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(TooNew);
    expect(thrown).toMatchObject({ found: 7, known: 3 });
    expect(pragmaVersion.read(db)).toBe(7);
    expect(schemaTables(db).size).toBe(0);
  });

  it('rolls a failing step back with its version bump, keeps the steps before it, and reports the step and its cause', () => {
    const db = dir.raw();
    let thrown: unknown;
    try {
      runMigrations(db, [STEPS[0]!, halfDoneMigration('half'), STEPS[1]!], pragmaVersion, errors);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Failed);
    expect(thrown).toMatchObject({ version: 1, step: 'half done' });
    expect(String((thrown as Failed).cause)).toContain('disk on fire');
    expect(pragmaVersion.read(db)).toBe(1);
    expect([...schemaTables(db).keys()]).toEqual(['rooms']);
  });

  it('keeps its version wherever the part says: in a table, with user_version left alone', () => {
    const db = dir.raw();
    db.pragma('user_version = 5'); // another part's
    expect(runMigrations(db, STEPS, tableVersion, errors)).toEqual({ from: 0, to: 3 });
    expect(tableVersion.read(db)).toBe(3);
    expect(pragmaVersion.read(db)).toBe(5);
    // A first step that fails leaves no version table behind: the bump is in its transaction.
    const fresh = dir.raw('other.db');
    expect(() => runMigrations(fresh, [halfDoneMigration('half')], tableVersion, errors)).toThrow(Failed);
    expect(schemaTables(fresh).size).toBe(0);
  });

  it('skips the steps another connection ran after this one read the version', () => {
    const mine = dir.raw();
    const theirs = dir.raw();
    const { migrations, runs } = countingMigrations(STEPS);
    // The other process migrates the file between this connection's first read and its first step.
    let first = true;
    const racing: SchemaVersion = {
      read(db: Database.Database) {
        const v = pragmaVersion.read(db);
        if (first) {
          first = false;
          runMigrations(theirs, STEPS, pragmaVersion, errors);
        }
        return v;
      },
      write: pragmaVersion.write,
    };
    expect(runMigrations(mine, migrations, racing, errors)).toEqual({ from: 0, to: 3 });
    expect(runs).toEqual([0, 0, 0]);
    expect(pragmaVersion.read(mine)).toBe(3);
    expect((mine.pragma('table_info(rooms)') as { name: string }[]).map((c) => c.name)).toEqual(['name', 'floor']);
  });
});
