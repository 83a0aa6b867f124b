import { describe, it, expect, beforeAll, afterAll, vi } from 'vitest';
import Database from 'better-sqlite3';
import type { ZoneState } from '@boiler/shared';
import { startAgent, command, postCommand, getJson, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';

let agent: AgentUnderTest;

beforeAll(async () => {
  agent = await startAgent({ env: { SIM_SPEED: '120' } });
});

afterAll(async () => {
  await agent?.stop();
  agent?.cleanup();
});

/** Rows that only a command writes: they must not move when a command is refused. */
function commandRows(): { commands: number; audit: number; commandEvents: number } {
  const db = new Database(agent.dbPath, { readonly: true, fileMustExist: true });
  try {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    return {
      commands: one('SELECT count(*) AS n FROM commands'),
      audit: one('SELECT count(*) AS n FROM audit'),
      commandEvents: one("SELECT count(*) AS n FROM events WHERE event = 'COMMAND'"),
    };
  } finally {
    db.close();
  }
}

describe('agent on the simulator', () => {
  it('answers /health with its fields within 3 s of starting', async () => {
    const { status, body } = await getJson(agent.url, '/health', null);
    expect(status).toBe(200);
    // The four of DESIGN.md, plus why it is degraded (none) and whether writes reach the disk.
    expect(Object.keys(body).sort()).toEqual(['db_size', 'memory', 'reasons', 'status', 'storage', 'uptime']);
    expect(body.status).toBe('ok');
    expect(body.reasons).toEqual([]);
    expect(body.storage).toEqual({ ok: true, pending: 0, dropped: { samples: 0, events: 0, invalid: 0 } });
    expect(body.db_size).toBeGreaterThan(0);
    const ready = agent.proc.lines.find((l) => l.msg === 'agent listening');
    const first = agent.proc.lines[0];
    expect(Date.parse(String(ready?.time)) - Date.parse(String(first?.time))).toBeLessThan(3000);
  });

  it('lists 14 zones whose temperatures move under SIM_SPEED', async () => {
    const first = (await getJson<{ zones: ZoneState[] }>(agent.url, '/api/zones')).body.zones;
    expect(first.map((z) => z.zone)).toEqual(Array.from({ length: 14 }, (_, i) => `Z${i + 1}`));
    expect(first.find((z) => z.zone === 'Z14')?.kind).toBe('onoff');
    expect(first.find((z) => z.zone === 'Z14')?.setpoint_c).toBeNull();
    await vi.waitFor(
      async () => {
        const now = (await getJson<{ zones: ZoneState[] }>(agent.url, '/api/zones')).body.zones;
        const moved = now.filter((z, i) => z.pipe_c !== first[i]?.pipe_c || z.room_c !== first[i]?.room_c);
        expect(moved.length).toBeGreaterThan(3);
      },
      { timeout: 15_000, interval: 250 },
    );
  });

  it('serves one zone, the system, events, history, schedules and presets', async () => {
    expect((await getJson(agent.url, '/api/zones/Z7')).body).toMatchObject({ zone: 'Z7', label: 'Kitchen' });
    expect((await getJson(agent.url, '/api/zones/Z99')).status).toBe(404);
    expect((await getJson(agent.url, '/api/system')).body).toMatchObject({ hardware: 'sim', time_zone: 'America/Denver' });
    const events = (await getJson<{ events: { seq: number }[] }>(agent.url, '/api/events?limit=5')).body.events;
    expect(events.length).toBeGreaterThan(0);
    expect(events.length).toBeLessThanOrEqual(5);
    expect((await getJson(agent.url, '/api/events?limit=5000')).status).toBe(400);
    expect((await getJson(agent.url, '/api/events?event=BOGUS')).status).toBe(400);
    const now = Date.now() + 10 * 24 * 3600_000; // the simulator's clock runs ahead
    const hist = await getJson<{ points: unknown[] }>(agent.url, `/api/zones/Z1/history?from=0&to=${now}&points=50`);
    expect(hist.status).toBe(200);
    expect(hist.body.points.length).toBeLessThanOrEqual(50);
    expect((await getJson(agent.url, '/api/zones/Z1/history?points=5000')).status).toBe(400);
    expect((await getJson<{ schedules: { zone: string }[] }>(agent.url, '/api/schedules')).body.schedules[0]?.zone).toBe('default');
    expect((await getJson(agent.url, '/api/presets')).body).toEqual({ presets: [] });
  });

  it('executes a valid command once and returns the stored result for a replay', async () => {
    const before = commandRows();
    const cmd = command({ type: 'zone_mode', zone: 'Z5', mode: 'OFF' });
    const first = await postCommand(agent.url, cmd);
    expect(first.status).toBe(200);
    expect(first.body.result).toMatchObject({ id: cmd.id, outcome: 'succeeded' });
    const replay = await postCommand(agent.url, cmd);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ result: first.body.result, replayed: true });
    const after = commandRows();
    expect(after.commands - before.commands).toBe(1);
    expect(after.audit - before.audit).toBe(1);
    expect(after.commandEvents - before.commandEvents).toBe(1);
    expect((await getJson<ZoneState>(agent.url, '/api/zones/Z5')).body.mode).toBe('OFF');
  });

  it('refuses the same id with other parameters (409) and changes nothing', async () => {
    const cmd = command({ type: 'zone_mode', zone: 'Z6', mode: 'OFF' });
    expect((await postCommand(agent.url, cmd)).status).toBe(200);
    const before = commandRows();
    const clash = await postCommand(agent.url, { ...cmd, body: { type: 'zone_mode', zone: 'Z6', mode: 'ON' } });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({ code: 'id_conflict' });
    expect(commandRows()).toEqual(before);
    expect((await getJson<ZoneState>(agent.url, '/api/zones/Z6')).body.mode).toBe('OFF');
  });

  const big = 'x'.repeat(64 * 1024);
  const cases: Array<{ what: string; status: number; code: string; send: () => ReturnType<typeof postCommand> }> = [
    { what: 'malformed JSON', status: 400, code: 'malformed_json', send: () => postCommand(agent.url, null, TEST_API_KEY, '{"id": ') },
    { what: 'an unknown command', status: 400, code: 'invalid_command', send: () => postCommand(agent.url, command({ type: 'launch' } as never)) },
    { what: 'an unknown zone', status: 404, code: 'unknown_zone', send: () => postCommand(agent.url, command({ type: 'zone_mode', zone: 'Z99', mode: 'ON' })) },
    {
      what: 'a setpoint out of range',
      status: 400,
      code: 'invalid_command',
      send: () => postCommand(agent.url, command({ type: 'setpoint', zone: 'Z1', setpoint_c: 45, override: 'permanent' })),
    },
    {
      what: 'an expired command',
      status: 410,
      code: 'expired',
      send: () => postCommand(agent.url, command({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' }, { expires_at: Date.now() - 365 * 24 * 3600_000 })),
    },
    { what: 'a missing key', status: 401, code: 'unauthorised', send: () => postCommand(agent.url, command({ type: 'home' }), null) },
    { what: 'a wrong key', status: 401, code: 'unauthorised', send: () => postCommand(agent.url, command({ type: 'home' }), 'wrong-key-wrong-key-wrong') },
    { what: 'a body over the limit', status: 413, code: 'body_too_large', send: () => postCommand(agent.url, { ...command({ type: 'home' }), pad: big }) },
  ];
  for (const c of cases) {
    it(`refuses ${c.what} with ${c.status} and a reason, and writes nothing`, async () => {
      const before = commandRows();
      const res = await c.send();
      expect(res.status).toBe(c.status);
      expect(res.body.error).toMatchObject({ code: c.code });
      expect(String((res.body.error as { message: string }).message).length).toBeGreaterThan(5);
      expect(commandRows()).toEqual(before);
      // The process is still serving.
      expect((await getJson(agent.url, '/health', null)).status).toBe(200);
    });
  }
});
