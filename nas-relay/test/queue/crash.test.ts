import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it, vi } from 'vitest';
import { SqliteCommandQueueStore } from '../../src/queue/index.js';
import { FakeAgent } from './fakes/fake-transport.js';
import { T0, buildQueue, setpoint, uuid } from './harness.js';
import { REPLICA_FILE, useTempQueueFiles } from './temp-queue.js';

const files = useTempQueueFiles();

const CHILD = join(import.meta.dirname, 'fixtures', 'enqueue-then-wait.ts');

/** Runs the child on `path` with these specs until it says ready, then SIGKILLs it. Returns what it printed. */
async function enqueueThenKill(path: string, specs: string[]): Promise<{ lines: string[]; signal: string | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, ...specs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      if (line === 'ready') {
        child.kill('SIGKILL');
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`child exited before it was killed:\n${stderr}`)));
  });
  return { lines, signal: await exited };
}

describe('a relay killed with commands in its queue', () => {
  it('reopens with every accepted command, re-sends each once in arrival order, and the agent runs each once', async () => {
    // The replica's file: the child opens the queue beside it, as the relay does.
    const path = files.path(REPLICA_FILE);
    const [a, b, c] = [uuid(0xa), uuid(0xb), uuid(0xc)];
    const { lines, signal } = await enqueueThenKill(path, [`sent:${a}`, `sent:${b}`, `held:${c}`]);
    expect(signal).toBe('SIGKILL');
    expect(lines).toEqual([`sent ${a}`, `accepted ${a}`, `sent ${b}`, `accepted ${b}`, `accepted ${c}`, 'ready']);

    const store = files.openStore();
    expect(store.get(a)).toMatchObject({ state: 'sent', attempts: 1, client: 'child' });
    expect(store.get(b)).toMatchObject({ state: 'sent', attempts: 1 });
    expect(store.get(c)).toMatchObject({ state: 'queued', attempts: 0, sent_at: null });

    const { queue, transport } = buildQueue({ store });
    const agent = new FakeAgent();
    // The agent ran the first one before the relay died; its answer was lost with the relay.
    const first = agent.answer({ id: a, created_at: T0, expires_at: Date.now() + 60_000, body: { type: 'boost', zone: 'kitchen', minutes: 30 } });
    transport.connect();
    queue.start();
    try {
      expect(transport.sentIds()).toEqual([a, b, c]);
      for (const command of transport.sent) transport.deliver(agent.answer(command));
      expect(agent.executed).toEqual([a, b, c]);
      expect(store.get(a)).toMatchObject({ state: 'succeeded', attempts: 2, result: first });
      expect(store.get(b)).toMatchObject({ state: 'succeeded', attempts: 2 });
      expect(store.get(c)).toMatchObject({ state: 'succeeded', attempts: 1 });
      expect(queue.auditTrail(a).map((r) => r.action)).toEqual(['accepted', 'sent', 'retried', 'sent', 'succeeded']);
      expect(transport.sent).toHaveLength(3);
    } finally {
      queue.stop();
    }
  }, 60_000);

  it('a queue dropped without stop() leaves its sent command for the next one on the file, which sends it once', () => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    try {
      const before = buildQueue({ store: SqliteCommandQueueStore.open(files.path()) });
      files.onCleanup(() => before.store.close());
      before.transport.connect();
      before.queue.start();
      before.queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
      expect(before.transport.sentIds()).toEqual([uuid(1)]);
      // The process is gone: its timers with it, its connection never closed.
      vi.clearAllTimers();

      const after = buildQueue({ store: files.openStore() });
      after.transport.connect();
      after.queue.start();
      expect(after.transport.sentIds()).toEqual([uuid(1)]);
      vi.advanceTimersByTime(29_999);
      after.transport.succeed(uuid(1));
      vi.advanceTimersByTime(10 * 60_000);
      expect(after.transport.sentIds()).toEqual([uuid(1)]);
      expect(after.store.get(uuid(1))).toMatchObject({ state: 'succeeded', attempts: 2 });
      expect(before.transport.sentIds()).toEqual([uuid(1)]);
      after.queue.stop();
    } finally {
      vi.useRealTimers();
    }
  });
});
