import { describe, expect, it, vi } from 'vitest';
import { MemoryCommandQueueStore, type AuditEntry, type NewQueuedCommand, type QueuedCommand } from '../../src/queue/index.js';
import { buildQueue, setpoint, useFakeClock, uuid } from './harness.js';

useFakeClock();

/** The in-memory store, counting its write transactions (on SQLite each is a commit with an fsync). */
class CountingStore extends MemoryCommandQueueStore {
  writes = 0;
  override insert(command: NewQueuedCommand, audit: AuditEntry | readonly AuditEntry[]): QueuedCommand {
    this.writes++;
    return super.insert(command, audit);
  }
  override update(command: QueuedCommand, audit: AuditEntry): void {
    this.writes++;
    super.update(command, audit);
  }
}

describe('command queue: a new command with the link up and nothing queued', () => {
  it('is accepted and marked sent in one write, committed before the link has it', () => {
    const store = new CountingStore();
    const { queue, transport, changes } = buildQueue({ store });
    const writesAtSend: number[] = [];
    const changesAtSend: number[] = [];
    transport.onSend = (c) => {
      writesAtSend.push(store.writes);
      // The link has it before the UIs are told: pushing to them runs while the agent works on it.
      changesAtSend.push(changes.length);
      expect(store.get(c.id)).toMatchObject({ state: 'sent', attempts: 1 });
    };
    transport.connect();
    queue.start();
    const { command } = queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    expect(writesAtSend).toEqual([1]);
    expect(changesAtSend).toEqual([0]);
    expect(command).toMatchObject({ state: 'sent', attempts: 1 });
    // The UIs and the audit trail see the same steps as before: accepted (queued), then sent.
    expect(changes).toEqual([
      { id: uuid(1), state: 'queued', action: 'accepted' },
      { id: uuid(1), state: 'sent', action: 'sent' },
    ]);
    expect(queue.auditTrail(uuid(1)).map((a) => [a.action, a.client])).toEqual([
      ['accepted', 'desktop'],
      ['sent', 'relay'],
    ]);
    transport.succeed(uuid(1));
    expect(store.get(uuid(1))?.state).toBe('succeeded');
    expect(store.writes).toBe(2);
    queue.stop();
  });

  it('does not overtake a command waiting out a retry backoff: it waits behind it', () => {
    const { queue, transport, store } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint('kitchen', 20) }, 'desktop');
    transport.fail(uuid(1), 'unavailable');
    expect(store.get(uuid(1))).toMatchObject({ state: 'queued', attempts: 1 });
    queue.enqueue({ id: uuid(2), body: setpoint('kitchen', 21) }, 'desktop');
    expect(transport.sentIds()).toEqual([uuid(1)]);
    expect(store.get(uuid(2))).toMatchObject({ state: 'queued', attempts: 0 });
    vi.advanceTimersByTime(1000);
    expect(transport.sentIds()).toEqual([uuid(1), uuid(1), uuid(2)]);
    queue.stop();
  });
});
