import { describe, it, expect, afterAll } from 'vitest';
import Database from 'better-sqlite3';
import { startAgent, command, postCommand, type AgentUnderTest } from '../support/agent-process.js';

const agents: AgentUnderTest[] = [];
afterAll(async () => {
  for (const a of agents) await a.stop();
  agents[0]?.cleanup();
});

describe('kill -9 of the agent during a burst of commands', () => {
  it('restarts with an intact database: no seq gap or duplicate, every answered command stored', async () => {
    const first = await startAgent({ env: { SIM_SPEED: '600', API_RATE_LIMIT: '100000' } });
    agents.push(first);
    const zones = Array.from({ length: 13 }, (_, i) => `Z${i + 1}`);
    const succeeded: string[] = [];
    let killed = false;
    let sent = 0;

    // Several clients post commands as fast as they are answered; the agent dies mid-burst. They go on
    // posting until the process is gone, so commands answered between the kill and the death count too,
    // and each client's last command is the one the death cut off (the agent answers in well under a
    // millisecond now: stopping at the kill left none in flight).
    const client = async (n: number) => {
      for (let i = 0; i < 2000; i++) {
        // The simulator's clock runs ahead of ours, so these commands are given a long life.
        const cmd = command(
          { type: 'setpoint', zone: zones[(n + i) % zones.length] as string, setpoint_c: 15 + ((n + i) % 10), override: 'permanent' },
          { expires_at: Date.now() + 30 * 24 * 3600_000 },
        );
        sent++;
        let res: Awaited<ReturnType<typeof postCommand>>;
        try {
          res = await postCommand(first.url, cmd);
        } catch {
          return; // the connection died with the process
        }
        if (res.status === 200 && (res.body.result as { outcome: string }).outcome === 'succeeded') succeeded.push(cmd.id);
        if (res.status !== 200) throw new Error(`command refused: ${JSON.stringify(res.body)}`);
        if (succeeded.length >= 150 && !killed) {
          killed = true;
          first.proc.proc.kill('SIGKILL');
        }
      }
    };
    await Promise.all([0, 1, 2, 3, 4, 5].map(client));
    const exit = await first.proc.exited;
    expect(exit.signal).toBe('SIGKILL');
    expect(succeeded.length).toBeGreaterThanOrEqual(150);
    expect(sent).toBeGreaterThan(succeeded.length); // some were in flight when it died

    const second = await startAgent({ dir: first.dir, env: { SIM_SPEED: '600' } });
    agents.push(second);
    const db = new Database(first.dbPath, { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const seqs = (db.prepare('SELECT seq FROM events ORDER BY seq').all() as { seq: number }[]).map((r) => r.seq);
      expect(seqs.length).toBeGreaterThan(succeeded.length);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe((seqs[i - 1] as number) + 1);
      const stored = new Set((db.prepare('SELECT id FROM commands').all() as { id: string }[]).map((r) => r.id));
      const lost = succeeded.filter((id) => !stored.has(id));
      expect(lost).toEqual([]);
      // Each stored command has exactly one COMMAND event naming it.
      const commandEvents = db.prepare("SELECT count(*) AS n FROM events WHERE event = 'COMMAND'").get() as { n: number };
      expect(commandEvents.n).toBe(stored.size);
    } finally {
      db.close();
    }
    // The restarted agent answers a replay of an acknowledged command with its stored result.
    const replayId = succeeded[succeeded.length - 1] as string;
    const row = new Database(first.dbPath, { readonly: true });
    const body = JSON.parse((row.prepare('SELECT body FROM commands WHERE id = ?').get(replayId) as { body: string }).body) as never;
    row.close();
    const replay = await postCommand(second.url, command(body, { id: replayId, expires_at: Date.now() + 30 * 24 * 3600_000 }));
    expect(replay.status).toBe(200);
    expect(replay.body.replayed).toBe(true);
  });
});
