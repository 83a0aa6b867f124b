import { describe, it, expect, afterAll, beforeAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { HistoryReply, EventsReply, ZoneState, type HistoryPoint } from '@boiler/shared';
import { startAgent, getJson, TEST_API_KEY, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';
import { postRelayCommand } from '../support/live-client.js';

// Issue 12: the history routes of both servers carry the setpoint recorded with each sample. A
// setpoint changed by a command shows up in the history as a step from the old value to the new,
// the same on the agent (its own samples) and on the relay (derived from the replicated events).

let agent: AgentUnderTest;
let relay: RelayUnderTest;
beforeAll(async () => {
  // 60x: a sample a second. The agent judges the command's expiry on its simulated clock, so that
  // clock starts a day behind the real one (as the e2e site's does) and stays behind through the test.
  agent = await startAgent({ env: { SIM_SPEED: '60', SIM_CLOCK_OFFSET: '-24h', BATCH_INTERVAL: '1' } });
  relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`);
  await relay.proc.waitForLog((l) => l.msg === 'agent link open');
});
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
});

async function get(base: string, path: string): Promise<unknown> {
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  expect(res.status, path).toBe(200);
  return res.json();
}

/** Z1's SAMPLE events the relay holds, oldest first. */
async function relaySamples(): Promise<{ ts: number; setpoint_c: number | null }[]> {
  const events = EventsReply.parse(await get(relay.url, '/api/events?zone=Z1&event=SAMPLE&limit=2000')).events;
  return events.map((e) => ({ ts: e.ts, setpoint_c: e.setpoint_c ?? null })).reverse();
}

describe('setpoint history', () => {
  it('records the setpoint in force with each sample and answers it from both history routes alike, a command’s change as a step', async () => {
    const before = ZoneState.parse((await getJson(agent.url, '/api/zones/Z1')).body);
    expect(before.kind).toBe('heat');
    expect(before.setpoint_c).not.toBeNull();
    // A setpoint no schedule here uses, so every sample that carries it was taken after the command.
    const wanted = before.setpoint_c === 27 ? 26 : 27;
    const id = randomUUID();
    expect((await postRelayCommand(relay.url, { id, body: { type: 'setpoint', zone: 'Z1', setpoint_c: wanted, override: 'permanent' } })).status).toBe(202);
    await expect.poll(async () => ((await getJson<{ state: string }>(relay.url, `/api/commands/${id}`)).body.state), { timeout: 20_000 }).toBe('succeeded');

    // Samples with the new setpoint replicated, after some with the old one.
    let samples: { ts: number; setpoint_c: number | null }[] = [];
    await expect
      .poll(
        async () => {
          samples = await relaySamples();
          return samples.filter((s) => s.setpoint_c === wanted).length;
        },
        { timeout: 30_000, interval: 250 },
      )
      .toBeGreaterThanOrEqual(3);
    const firstNew = samples.findIndex((s) => s.setpoint_c === wanted);
    expect(firstNew).toBeGreaterThan(0);
    // Once the override holds, every later sample carries it: it is what was in force, not a schedule's guess.
    expect(samples.slice(firstNew).every((s) => s.setpoint_c === wanted)).toBe(true);
    expect(samples[firstNew - 1]?.setpoint_c).not.toBeNull();
    expect(samples[firstNew - 1]?.setpoint_c).not.toBe(wanted);

    // Raw points over the window (fewer samples than points): the relay's history is the agent's, step and all.
    const from = samples[0]!.ts;
    const to = samples[samples.length - 1]!.ts + 1;
    const path = `/api/zones/Z1/history?from=${from}&to=${to}&points=2000`;
    const onRelay = HistoryReply.parse(await get(relay.url, path));
    const onAgent = HistoryReply.parse(await get(agent.url, path));
    expect(onRelay).toEqual(onAgent);
    const setpoints = onRelay.points.map((p: HistoryPoint) => p.setpoint_c);
    expect(setpoints).toEqual(samples.map((s) => s.setpoint_c));
    expect(onRelay.points.at(-1)?.setpoint_c).toBe(wanted);

    // Both databases hold it in their samples and rollups, read straight from the files.
    for (const path of [agent.dbPath, relay.dbPath]) {
      const db = new Database(path, { readonly: true });
      try {
        const n = (db.prepare('SELECT count(*) AS n FROM samples WHERE zone = ? AND setpoint_c = ?').get('Z1', wanted) as { n: number }).n;
        expect(n, path).toBeGreaterThanOrEqual(3);
        const latest = db.prepare('SELECT setpoint_last FROM samples_15m WHERE zone = ? ORDER BY bucket DESC LIMIT 1').get('Z1') as { setpoint_last: number | null };
        expect(latest.setpoint_last, path).toBe(wanted);
      } finally {
        db.close();
      }
    }
  });
});
