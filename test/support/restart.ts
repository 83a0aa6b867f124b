import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { repoRoot } from './processes.js';

/** An ON or OFF as the agent logged it. */
export interface Switch {
  seq: number;
  ts: number;
  source: string;
  zone: string | null;
  event: 'ON' | 'OFF';
  duration_s: number | null;
  detail: string | null;
  /** The output it names: a zone, or `boiler` / `pump`. */
  output: string;
}

/** Every ON and OFF in an agent's database so far, oldest first (read-only, beside the running agent). */
export function switches(dbPath: string, afterSeq = 0): Switch[] {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const rows = db
      .prepare(`SELECT seq, ts, source, zone, event, duration_s, detail FROM events WHERE event IN ('ON', 'OFF') AND seq > ? ORDER BY seq`)
      .all(afterSeq) as Omit<Switch, 'output'>[];
    return rows.map((r) => ({ ...r, output: r.zone ?? (r.detail?.startsWith('pump') === true ? 'pump' : 'boiler') }));
  } finally {
    db.close();
  }
}

/**
 * Waits until the agent's database holds a switch the predicate accepts, reading it a few times a
 * second (the agent announces switches on no socket a test can open without the link secret).
 */
export async function waitForSwitch(dbPath: string, pred: (s: Switch) => boolean, timeoutMs = 60_000, afterSeq = 0): Promise<Switch> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = switches(dbPath, afterSeq).find(pred);
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`no matching switch within ${timeoutMs} ms; switches: ${JSON.stringify(switches(dbPath, afterSeq))}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The last seq in the database, to look only at what comes after. */
export function lastSeq(dbPath: string): number {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT coalesce(max(seq), 0) AS n FROM events').get() as { n: number }).n;
  } finally {
    db.close();
  }
}

/** Writes a zones file into `dir`: the reference site's schedule and zones picked by name, with changes. */
export function writeZonesFile(dir: string, zones: Record<string, Record<string, unknown>>, site: Record<string, unknown>): string {
  const reference = JSON.parse(readFileSync(join(repoRoot, 'agent', 'zones.json'), 'utf8')) as { zones: { name: string }[] } & Record<string, unknown>;
  const picked = Object.entries(zones).map(([name, extra]) => {
    const zone = reference.zones.find((z) => z.name === name);
    if (zone === undefined) throw new Error(`no zone ${name} in the reference zones file`);
    return { ...zone, ...extra };
  });
  const path = join(dir, 'zones.json');
  writeFileSync(path, JSON.stringify({ ...reference, ...site, zones: picked }, null, 2));
  return path;
}
