import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { SavedEngineState } from '../../agent/src/control/index.js';

const COLUMNS = 'seq, ts, source, zone, event, room_c, pipe_c, outdoor_c, duration_s, detail';

function rows(path: string, sql: string, ...params: unknown[]): unknown[] {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare(sql).all(...params);
  } finally {
    db.close();
  }
}

/** Every event row of a database, in seq order. */
export function eventRows(path: string): { seq: number }[] {
  return rows(path, `SELECT ${COLUMNS} FROM events ORDER BY seq`) as { seq: number }[];
}

/** Asserts the replica holds exactly the agent's events, row for row, and no seq twice. */
export function expectSameEvents(agentDb: string, replicaDb: string): number {
  const a = eventRows(agentDb);
  const r = eventRows(replicaDb);
  expect(r.length).toBe(a.length);
  expect(new Set(r.map((e) => e.seq)).size).toBe(r.length);
  expect(r).toEqual(a);
  return a.length;
}

/** Asserts each zone's mode, output and override in the replica are the agent's (from its saved engine state). */
export function expectSameZones(agentDb: string, replicaDb: string): void {
  const saved = rows(agentDb, `SELECT state FROM runtime WHERE scope = 'system'`) as { state: string }[];
  const engine = SavedEngineState.parse(JSON.parse(saved[0]!.state));
  const replicaZones = (rows(replicaDb, 'SELECT state FROM zone_states') as { state: string }[]).map(
    (r) => JSON.parse(r.state) as { zone: string; mode: string; output: boolean; override: unknown },
  );
  expect(replicaZones.length).toBe(engine.zones.length);
  for (const z of engine.zones) {
    const r = replicaZones.find((x) => x.zone === z.name);
    expect({ zone: z.name, mode: r?.mode, output: r?.output }).toEqual({ zone: z.name, mode: z.mode, output: z.output.on });
  }
}

/** COMMAND events the agent logged for a command id (each names its id in the detail). */
export function executions(agentDb: string, id: string): number {
  return (rows(agentDb, `SELECT count(*) AS n FROM events WHERE event = 'COMMAND' AND detail LIKE ?`, `%${id}%`) as { n: number }[])[0]!.n;
}
