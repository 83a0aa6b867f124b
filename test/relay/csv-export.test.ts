import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { EventsReply, HistoryReply, SystemReply, type EventEntry } from '@boiler/shared';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { parseCsv } from '../support/csv.js';

// The CSV exports on a real agent and a real relay (their own processes, their own SQLite files):
// the same routes on both, the JSON routes' parameters, each export's rows equal to its server's
// JSON rows for the same filter, and the relay's equal to the agent's over what it has replicated.

let agent: AgentUnderTest;
let relay: RelayUnderTest;
beforeAll(async () => {
  agent = await startAgent({ env: { SIM_SPEED: '600', BATCH_INTERVAL: '1', TIME_ZONE: 'America/Denver' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

const auth = { authorization: `Bearer ${TEST_API_KEY}` };

async function csv(base: string, path: string, headers: Record<string, string> = auth): Promise<{ res: Response; rows: string[][] }> {
  const res = await fetch(`${base}${path}`, { headers });
  const bytes = new Uint8Array(await res.arrayBuffer());
  if (res.status !== 200) return { res, rows: [] };
  expect([...bytes.slice(0, 3)], 'a UTF-8 byte order mark first').toEqual([0xef, 0xbb, 0xbf]);
  return { res, rows: parseCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes).slice(1)) };
}

/** Every event the JSON route has for a filter, paged by before_seq. */
async function jsonEvents(base: string, filter: URLSearchParams): Promise<EventEntry[]> {
  const q = new URLSearchParams(filter);
  q.set('limit', '2000');
  const all: EventEntry[] = [];
  for (;;) {
    const page = EventsReply.parse(await (await fetch(`${base}/api/events?${q.toString()}`, { headers: auth })).json()).events;
    all.push(...page);
    if (page.length < 2000) return all;
    q.set('before_seq', String((page[page.length - 1] as EventEntry).seq));
  }
}

/** The highest seq the relay has applied, once it holds samples and a command. */
async function replicatedSeq(): Promise<number> {
  let seq = 0;
  await expect
    .poll(
      async () => {
        seq = ((await (await fetch(`${relay.url}/health`)).json()) as { last_seq: number }).last_seq;
        const kinds = new Set((await jsonEvents(relay.url, new URLSearchParams({ before_seq: String(seq + 1) }))).map((e) => e.event));
        return kinds.has('SAMPLE') && kinds.has('COMMAND');
      },
      { timeout: 60_000, interval: 500 },
    )
    .toBe(true);
  return seq;
}

describe('CSV exports on a real agent and relay', () => {
  it('answer the JSON rows for the same filter on both servers, the relay’s equal to the agent’s', async () => {
    // A command, so the log holds a COMMAND event (with a comma and quotes in its detail, perhaps).
    const command = await fetch(`${relay.url}/api/commands`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      // The simulated site's clock runs 600 times as fast: the expiry leaves it days.
      body: JSON.stringify({ expires_at: Date.now() + 30 * 24 * 3600_000, body: { type: 'zone_mode', zone: 'Z2', mode: 'OFF' } }),
    });
    expect(command.status).toBe(202);
    const { id } = (await command.json()) as { id: string };
    await expect.poll(async () => ((await (await fetch(`${relay.url}/api/commands/${id}`, { headers: auth })).json()) as { state: string }).state, { timeout: 30_000 }).toBe('succeeded');
    const seq = await replicatedSeq();
    const timeZone = SystemReply.parse(await (await fetch(`${agent.url}/api/system`, { headers: auth })).json()).time_zone;
    expect(timeZone).toBe('America/Denver');
    const upTo = { before_seq: String(seq + 1) };
    const all = await jsonEvents(agent.url, new URLSearchParams(upTo));
    const times = all.map((e) => e.ts).sort((a, b) => a - b);
    const from = String(times[Math.floor(times.length / 4)]);
    const to = String(times[Math.floor((times.length * 3) / 4)]);
    const filters: Record<string, string>[] = [upTo, { ...upTo, zone: 'Z1' }, { ...upTo, event: 'COMMAND' }, { ...upTo, event: 'ON,OFF,ALERT,COMMAND' }, { ...upTo, zone: 'Z1', event: 'SAMPLE', from, to }, { ...upTo, event: 'SAMPLE', limit: '3' }];
    for (const f of filters) {
      const filter = new URLSearchParams(f);
      const label = filter.toString();
      const agentCsv = await csv(agent.url, `/api/events.csv?${label}`);
      const relayCsv = await csv(relay.url, `/api/events.csv?${label}`);
      for (const { res } of [agentCsv, relayCsv]) {
        expect(res.status, label).toBe(200);
        expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="events-[A-Za-z0-9_-]+\.csv"$/);
      }
      const [header, ...rows] = agentCsv.rows;
      expect(header).toEqual(['seq', 'time_utc', 'time_local (America/Denver)', 'source', 'zone', 'event', 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duration_s', 'detail']);
      expect(relayCsv.rows, label).toEqual(agentCsv.rows);
      let json = await jsonEvents(agent.url, filter);
      if (f.limit !== undefined) json = json.slice(0, Number(f.limit));
      expect(json.length, label).toBeGreaterThan(0);
      // Cell for cell against the JSON: seq, the instant (UTC and the site's, which must name the same instant), kind, zone, values, detail.
      expect(rows.map((r) => Number(r[0])), label).toEqual(json.map((e) => e.seq));
      expect(rows.map((r) => Date.parse(r[1] as string)), label).toEqual(json.map((e) => e.ts));
      expect(rows.map((r) => Date.parse(r[2] as string)), label).toEqual(json.map((e) => e.ts));
      expect(rows.map((r) => [r[3], r[4] === '' ? null : r[4], r[5]]), label).toEqual(json.map((e) => [e.source, e.zone, e.event]));
      const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
      expect(rows.map((r) => [num(r[6]), num(r[7]), num(r[8]), num(r[9]), num(r[10])]), label).toEqual(json.map((e) => [e.room_c, e.pipe_c, e.outdoor_c, e.setpoint_c ?? null, e.duration_s]));
      expect(rows.map((r) => (r[11] === '' ? null : (r[11] as string).replace(/^'(?=[=+\-@\t\r])/, ''))), label).toEqual(json.map((e) => e.detail));
    }
  });

  it('answers a zone’s history for a range as the JSON history does, alike on both', async () => {
    const seq = await replicatedSeq();
    const samples = await jsonEvents(relay.url, new URLSearchParams({ before_seq: String(seq + 1), event: 'SAMPLE', zone: 'Z1' }));
    const times = samples.map((e) => e.ts).sort((a, b) => a - b);
    const q = `from=${times[0]}&to=${times[times.length - 1]}&points=40`;
    const json = HistoryReply.parse(await (await fetch(`${relay.url}/api/zones/Z1/history?${q}`, { headers: auth })).json()).points;
    expect(json.length).toBeGreaterThan(0);
    const agentCsv = await csv(agent.url, `/api/zones/Z1/history.csv?${q}`);
    const relayCsv = await csv(relay.url, `/api/zones/Z1/history.csv?${q}`);
    expect(relayCsv.res.status).toBe(200);
    expect(relayCsv.res.headers.get('content-disposition')).toMatch(/^attachment; filename="history-Z1-\d{4}-\d\d-\d\d-to-\d{4}-\d\d-\d\d\.csv"$/);
    expect(relayCsv.rows).toEqual(agentCsv.rows);
    const [header, ...rows] = relayCsv.rows;
    expect(header).toEqual(['time_utc', 'time_local (America/Denver)', 'room (°C)', 'pipe (°C)', 'outdoor (°C)', 'setpoint (°C)', 'duty (0-1)']);
    const num = (v: string | undefined) => (v === undefined || v === '' ? null : Number(v));
    expect(rows.map((r) => [Date.parse(r[0] as string), Date.parse(r[1] as string), num(r[2]), num(r[3]), num(r[4]), num(r[5]), num(r[6])])).toEqual(
      json.map((p) => [p.ts, p.ts, p.room_c, p.pipe_c, p.outdoor_c, p.setpoint_c ?? null, p.duty]),
    );
  });

  it('asks for the key or a session as the JSON routes do, and refuses a bad query with a reason', async () => {
    for (const base of [agent.url, relay.url]) {
      for (const path of ['/api/events.csv', '/api/zones/Z1/history.csv']) {
        const res = await fetch(`${base}${path}`);
        expect(res.status, `${base}${path}`).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorised');
      }
      const bad = await fetch(`${base}/api/events.csv?event=BOOM`, { headers: auth });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/event must be one of/);
      expect((await fetch(`${base}/api/zones/Z99/history.csv`, { headers: auth })).status).toBe(404);
    }
    // The browser's way on the relay: the session cookie, not the key.
    const session = await fetch(`${relay.url}/api/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ key: TEST_API_KEY }) });
    expect(session.status).toBe(204);
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const { res, rows } = await csv(relay.url, '/api/events.csv?limit=5', { cookie });
    expect(res.status).toBe(200);
    expect(rows.length).toBe(6);
  });
});
