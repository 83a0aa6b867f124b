import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { CACHE_KIB, SYNCHRONOUS } from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

describe('openDatabase', () => {
  it('runs the connection at synchronous FULL with a page cache of CACHE_KIB, not better-sqlite3’s 16 MiB', () => {
    const store = files.openStore();
    const db = (store as unknown as { db: Database.Database }).db;
    expect(SYNCHRONOUS).toBe('FULL');
    expect(db.pragma('synchronous', { simple: true })).toBe(2);
    expect(CACHE_KIB).toBeLessThanOrEqual(4096);
    expect(db.pragma('cache_size', { simple: true })).toBe(-CACHE_KIB);
  });
});
