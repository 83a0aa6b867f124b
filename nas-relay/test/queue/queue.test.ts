import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_COMMAND_TTL_MS, ValidationError } from '@boiler/shared';
import {
  CommandConflictError,
  CommandNotFoundError,
  CommandStateError,
  MemoryCommandQueueStore,
  type QueuedCommand,
} from '../../src/queue/index.js';
import { FakeAgent } from './fakes/fake-transport.js';
import { T0, buildQueue, setpoint, stateOf, useFakeClock, uuid } from './harness.js';

useFakeClock();

describe('command queue: the happy path', () => {
  it('queued while the link is down, sent when it comes up, succeeded on the answer', () => {
    const { queue, store, transport, changes, finished } = buildQueue();
    queue.start();
    const { command, created } = queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    expect(created).toBe(true);
    expect(command).toMatchObject({ id: uuid(1), state: 'queued', attempts: 0, accepted_at: T0, client: 'desktop' });
    expect(transport.sent).toEqual([]);

    vi.advanceTimersByTime(500);
    transport.connect();
    expect(transport.sent).toEqual([{ id: uuid(1), created_at: T0, expires_at: T0 + DEFAULT_COMMAND_TTL_MS, body: setpoint() }]);
    expect(store.get(uuid(1))).toMatchObject({ state: 'sent', attempts: 1, sent_at: T0 + 500 });

    vi.advanceTimersByTime(20);
    transport.succeed(uuid(1));
    expect(store.get(uuid(1))).toMatchObject({
      state: 'succeeded',
      finished_at: T0 + 520,
      last_error: null,
      result: { id: uuid(1), outcome: 'succeeded', error: null, seq: 1, finished_at: T0 + 520 },
    });
    expect(changes).toEqual([
      { id: uuid(1), state: 'queued', action: 'accepted' },
      { id: uuid(1), state: 'sent', action: 'sent' },
      { id: uuid(1), state: 'succeeded', action: 'succeeded' },
    ]);
    expect(finished).toEqual([{ id: uuid(1), state: 'succeeded', latencyMs: 520 }]);
    expect(queue.auditTrail(uuid(1)).map((a) => [a.action, a.client, a.ts])).toEqual([
      ['accepted', 'desktop', T0],
      ['sent', 'relay', T0 + 500],
      ['succeeded', 'relay', T0 + 520],
    ]);
    // The answer came: no timeout is left waiting to retry it.
    vi.advanceTimersByTime(10 * 60_000);
    expect(transport.sent).toHaveLength(1);
    expect(queue.counts()).toEqual({ queued: 0, sent: 0, succeeded: 1, failed: 0, expired: 0, dead: 0, discarded: 0 });
  });

  it('with the link up, sends at once, and the command is marked sent in the store before the link has it', () => {
    const { queue, store, transport } = buildQueue();
    const seenAtSend: QueuedCommand[] = [];
    transport.onSend = (c) => {
      const stored = store.get(c.id);
      if (stored !== null) seenAtSend.push(stored);
    };
    transport.connect();
    queue.start();
    const { command } = queue.enqueue({ body: setpoint() }, 'desktop');
    expect(seenAtSend).toEqual([expect.objectContaining({ id: command.id, state: 'sent', attempts: 1, sent_at: T0 })]);
    // enqueue returns the command as it now stands.
    expect(command.state).toBe('sent');
    expect(transport.sentIds()).toEqual([command.id]);
  });

  it('generates a UUID when the sender gives no id, and expires ten minutes after acceptance by default', () => {
    const { queue } = buildQueue();
    const a = queue.enqueue({ body: setpoint() }, 'desktop').command;
    const b = queue.enqueue({ body: setpoint() }, 'desktop').command;
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(b.id).not.toBe(a.id);
    expect(a).toMatchObject({ created_at: T0, expires_at: T0 + 10 * 60_000, issued_by: null });
    const c = queue.enqueue({ id: uuid(9), created_at: T0 - 5, expires_at: T0 + 60_000, issued_by: 'owner', body: setpoint() }, 'desktop').command;
    expect(c).toMatchObject({ id: uuid(9), created_at: T0 - 5, expires_at: T0 + 60_000, issued_by: 'owner' });
  });

  it('carries issued_by to the agent only when the sender gave one', () => {
    const { queue, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), issued_by: 'owner', body: setpoint() }, 'desktop');
    queue.enqueue({ id: uuid(2), body: setpoint() }, 'desktop');
    expect(transport.sent[0]?.issued_by).toBe('owner');
    expect(transport.sent[1]).not.toHaveProperty('issued_by');
  });

  it('refuses a request that fails its schema, storing nothing', () => {
    const { queue, store } = buildQueue();
    expect(() => queue.enqueue({ id: 'not-a-uuid', body: setpoint() }, 'desktop')).toThrow(ValidationError);
    expect(() => queue.enqueue({ body: { type: 'boost', zone: 'kitchen', minutes: 0 } }, 'desktop')).toThrow(ValidationError);
    expect(() => queue.enqueue({ body: setpoint() }, '')).toThrow(ValidationError);
    expect(store.counts().queued).toBe(0);
  });
});

describe('command queue: idempotent POST', () => {
  it('the same id with the same body returns the stored command and stores nothing new', () => {
    const { queue, store, transport, changes } = buildQueue();
    transport.connect();
    queue.start();
    const first = queue.enqueue({ id: uuid(1), body: { type: 'boost', zone: 'den', minutes: 30 } }, 'desktop');
    // Same body with its keys in another order, from another client, with another expiry.
    const again = queue.enqueue({ id: uuid(1), expires_at: T0 + 1, body: { minutes: 30, zone: 'den', type: 'boost' } }, 'browser');
    expect(again.created).toBe(false);
    expect(again.command).toEqual(store.get(uuid(1)));
    expect(again.command).toMatchObject({ client: 'desktop', expires_at: first.command.expires_at, state: 'sent' });
    expect(transport.sentIds()).toEqual([uuid(1)]);
    expect(changes.filter((c) => c.action === 'accepted')).toHaveLength(1);
    expect(queue.auditTrail(uuid(1)).map((a) => a.action)).toEqual(['accepted', 'sent']);
  });

  it('the same id with another body is a conflict, and the stored command is unchanged', () => {
    const { queue, store } = buildQueue();
    queue.enqueue({ id: uuid(1), body: setpoint('kitchen', 20) }, 'desktop');
    const before = store.get(uuid(1));
    const attempt = (): unknown => queue.enqueue({ id: uuid(1), body: setpoint('kitchen', 21) }, 'desktop');
    expect(attempt).toThrow(CommandConflictError);
    expect(attempt).toThrow(/already queued with another body/);
    expect(store.get(uuid(1))).toEqual(before);
    expect(queue.auditTrail(uuid(1))).toHaveLength(1);
  });

  it('a repeat of a command that already finished returns it finished, without sending it again', () => {
    const { queue, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    transport.succeed(uuid(1));
    const again = queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    expect(again).toMatchObject({ created: false, command: { state: 'succeeded' } });
    expect(transport.sentIds()).toEqual([uuid(1)]);
  });
});

describe('command queue: the link down, then up', () => {
  it('sends what queued up in arrival order, each executed once, duplicate answers ignored', () => {
    const { queue, store, transport } = buildQueue();
    const agent = new FakeAgent();
    queue.start();
    const ids = [5, 3, 9, 1, 7].map(uuid);
    for (const [i, id] of ids.entries()) {
      queue.enqueue({ id, body: setpoint('kitchen', 15 + i) }, 'desktop');
      vi.advanceTimersByTime(1000);
    }
    expect(transport.sent).toEqual([]);
    transport.connect();
    expect(transport.sentIds()).toEqual(ids);
    expect(transport.sent.map((c) => (c.body.type === 'setpoint' ? c.body.setpoint_c : null))).toEqual([15, 16, 17, 18, 19]);
    // The link drops before any answer: everything goes again after the backoff, still in order.
    transport.disconnect();
    for (const id of ids) expect(store.get(id)).toMatchObject({ state: 'queued', attempts: 1, last_error: { code: 'link_down' } });
    transport.connect();
    expect(transport.sent).toHaveLength(5);
    vi.advanceTimersByTime(1000);
    expect(transport.sentIds()).toEqual([...ids, ...ids]);
    // The agent got both copies: it runs each id once and answers the repeat with its stored result.
    const answers = transport.sent.map((c) => agent.answer(c));
    for (const a of answers) transport.deliver(a);
    expect(agent.executed).toEqual(ids);
    for (const id of ids) expect(store.get(id)).toMatchObject({ state: 'succeeded', attempts: 2 });
    for (const id of ids) expect(queue.auditTrail(id).filter((a) => a.action === 'succeeded')).toHaveLength(1);
  });

  it('a command waiting out its backoff holds back later arrivals, so they cannot overtake it', () => {
    const { queue, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint('kitchen', 18) }, 'desktop');
    transport.fail(uuid(1), 'unavailable');
    queue.enqueue({ id: uuid(2), body: setpoint('kitchen', 22) }, 'desktop');
    expect(transport.sentIds()).toEqual([uuid(1)]);
    vi.advanceTimersByTime(999);
    expect(transport.sentIds()).toEqual([uuid(1)]);
    vi.advanceTimersByTime(1);
    expect(transport.sentIds()).toEqual([uuid(1), uuid(1), uuid(2)]);
  });

  it('after a drop, a reconnect within the backoff waits for the backoff to end', () => {
    const { queue, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    vi.advanceTimersByTime(100);
    transport.disconnect();
    transport.connect();
    expect(transport.sent).toHaveLength(1);
    vi.advanceTimersByTime(999);
    expect(transport.sent).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(transport.sent).toHaveLength(2);
  });

  it('a send the link refuses is no attempt: it stays queued with its attempts and goes when the link can take it', () => {
    const { queue, store, transport } = buildQueue();
    transport.connect();
    transport.refuseSends = true;
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    expect(store.get(uuid(1))).toMatchObject({ state: 'queued', attempts: 0, sent_at: null });
    expect(queue.auditTrail(uuid(1)).map((a) => a.action)).toEqual(['accepted', 'sent', 'requeued']);
    transport.refuseSends = false;
    transport.disconnect();
    transport.connect();
    expect(transport.sentIds()).toEqual([uuid(1)]);
    expect(store.get(uuid(1))).toMatchObject({ state: 'sent', attempts: 1 });
  });
});

describe('command queue: expiry', () => {
  it('a command that expires while the link is down becomes expired at its expiry and is never sent', () => {
    const { queue, store, transport, changes, finished } = buildQueue();
    queue.start();
    queue.enqueue({ id: uuid(1), expires_at: T0 + 60_000, body: setpoint() }, 'desktop');
    queue.enqueue({ id: uuid(2), body: setpoint('den') }, 'desktop');
    vi.advanceTimersByTime(59_999);
    expect(stateOf(store, uuid(1))).toBe('queued');
    // No event at all: the queue's own timer notices the expiry, so the UIs see it live.
    vi.advanceTimersByTime(1);
    expect(store.get(uuid(1))).toMatchObject({ state: 'expired', finished_at: T0 + 60_000, result: null, last_error: { code: 'expired' } });
    expect(changes.at(-1)).toEqual({ id: uuid(1), state: 'expired', action: 'expired' });
    expect(finished).toEqual([{ id: uuid(1), state: 'expired', latencyMs: 60_000 }]);
    transport.connect();
    expect(transport.sentIds()).toEqual([uuid(2)]);
    expect(queue.auditTrail(uuid(1)).map((a) => a.action)).toEqual(['accepted', 'expired']);
  });

  it('a command accepted already expired is expired at once, never sent', () => {
    const { queue, transport } = buildQueue();
    transport.connect();
    queue.start();
    const { command } = queue.enqueue({ id: uuid(1), expires_at: T0 - 1, body: setpoint() }, 'desktop');
    expect(command.state).toBe('expired');
    expect(transport.sent).toEqual([]);
  });

  it('the agent answering expired makes it expired, with the agent’s result', () => {
    const { queue, store, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    transport.fail(uuid(1), 'expired', 'command expired');
    expect(store.get(uuid(1))).toMatchObject({ state: 'expired', result: { outcome: 'expired' }, last_error: { code: 'expired', message: 'command expired' } });
    vi.advanceTimersByTime(60_000);
    expect(transport.sent).toHaveLength(1);
  });

  it('a command sent before, whose answer was lost, goes again after its expiry so the agent can say what became of it', () => {
    const { queue, store, transport } = buildQueue();
    const agent = new FakeAgent();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), expires_at: T0 + 500, body: setpoint() }, 'desktop');
    const ran = agent.answer(transport.sent[0] ?? expect.unreachable());
    transport.disconnect(); // the answer is lost with the link
    vi.advanceTimersByTime(5000);
    transport.connect();
    expect(transport.sentIds()).toEqual([uuid(1), uuid(1)]);
    transport.deliver(agent.answer(transport.sent[1] ?? expect.unreachable()));
    expect(agent.executed).toEqual([uuid(1)]);
    expect(store.get(uuid(1))).toMatchObject({ state: 'succeeded', result: ran });
  });
});

describe('command queue: retries and the dead-letter list', () => {
  it('an agent that never answers: 3 sends with growing backoff, then dead; retry() brings it back and it succeeds', () => {
    const { queue, store, transport, finished } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    const sendTimes: number[] = [];
    transport.onSend = () => sendTimes.push(Date.now() - T0);
    sendTimes.push(0);
    vi.advanceTimersByTime(30_000); // timeout of attempt 1
    expect(store.get(uuid(1))).toMatchObject({ state: 'queued', attempts: 1, next_attempt_at: T0 + 31_000, last_error: { code: 'timeout' } });
    vi.advanceTimersByTime(10 * 60_000);
    // Timeout 30 s, then 1 s and 2 s of backoff.
    expect(sendTimes).toEqual([0, 31_000, 63_000]);
    expect(store.get(uuid(1))).toMatchObject({ state: 'dead', attempts: 3, finished_at: T0 + 93_000, last_error: { code: 'timeout' } });
    expect(queue.list({ state: 'dead' }).map((c) => c.id)).toEqual([uuid(1)]);
    expect(queue.counts()).toMatchObject({ dead: 1, queued: 0, sent: 0 });
    expect(finished).toEqual([{ id: uuid(1), state: 'dead', latencyMs: 93_000 }]);
    expect(queue.auditTrail(uuid(1)).map((a) => a.action)).toEqual(['accepted', 'sent', 'retried', 'sent', 'retried', 'sent', 'dead']);

    const requeued = queue.retry(uuid(1), 'owner-desktop');
    expect(requeued).toMatchObject({ state: 'sent', attempts: 1 });
    expect(sendTimes).toEqual([0, 31_000, 63_000, 10 * 60_000 + 30_000]);
    transport.succeed(uuid(1));
    expect(store.get(uuid(1))).toMatchObject({ state: 'succeeded', discarded_at: null, last_error: null });
    expect(queue.list({ state: 'dead' })).toEqual([]);
    const trail = queue.auditTrail(uuid(1));
    expect(trail.slice(-3).map((a) => [a.action, a.client])).toEqual([
      ['requeued', 'owner-desktop'],
      ['sent', 'relay'],
      ['succeeded', 'relay'],
    ]);
  });

  it('an agent answering unavailable: retried after 1 s, then 2 s, then dead with the agent’s error', () => {
    const { queue, store, transport } = buildQueue();
    transport.connect();
    queue.start();
    const sendTimes: number[] = [];
    transport.onSend = (c) => {
      sendTimes.push(Date.now() - T0);
      // The agent refuses at once, as while it is stopping; the answer comes a moment later.
      setTimeout(() => transport.fail(c.id, 'unavailable', 'agent is stopping'), 5);
    };
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    vi.advanceTimersByTime(60_000);
    expect(sendTimes).toEqual([0, 1005, 3010]);
    expect(store.get(uuid(1))).toMatchObject({ state: 'dead', attempts: 3, last_error: { code: 'unavailable', message: 'agent is stopping' } });
  });

  it.each(['internal', 'timeout'])('treats %s from the agent as worth retrying', (code) => {
    const { queue, store, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    transport.fail(uuid(1), code);
    expect(store.get(uuid(1))).toMatchObject({ state: 'queued', attempts: 1 });
  });

  it('a refusal that is not worth retrying is final: failed, with the agent’s error, not sent again', () => {
    const { queue, store, transport, finished } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint('attic') }, 'desktop');
    vi.advanceTimersByTime(40);
    transport.fail(uuid(1), 'unknown_zone', 'no zone attic');
    expect(store.get(uuid(1))).toMatchObject({ state: 'failed', last_error: { code: 'unknown_zone', message: 'no zone attic' }, result: { outcome: 'failed' } });
    expect(finished).toEqual([{ id: uuid(1), state: 'failed', latencyMs: 40 }]);
    vi.advanceTimersByTime(10 * 60_000);
    expect(transport.sent).toHaveLength(1);
    expect(queue.auditTrail(uuid(1)).at(-1)).toMatchObject({ action: 'failed', detail: 'unknown_zone: no zone attic' });
  });

  it('retry() takes a failed command too, and refuses any other state or an unknown id', () => {
    const { queue, store, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    expect(() => queue.retry(uuid(1), 'owner')).toThrow(CommandStateError);
    transport.fail(uuid(1), 'id_conflict');
    expect(queue.retry(uuid(1), 'owner')).toMatchObject({ state: 'sent', attempts: 1 });
    transport.succeed(uuid(1));
    expect(() => queue.retry(uuid(1), 'owner')).toThrow(/cannot retry command .* it is succeeded/);
    expect(() => queue.retry(uuid(2), 'owner')).toThrow(CommandNotFoundError);
    expect(stateOf(store, uuid(1))).toBe('succeeded');
  });

  it('discard() takes a dead command off the dead-letter list; it stays readable, dead, and retry() still works', () => {
    const { queue, store, transport } = buildQueue({ options: { maxAttempts: 1 } });
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    queue.enqueue({ id: uuid(2), body: setpoint('den') }, 'desktop');
    transport.disconnect();
    expect(queue.list({ state: 'dead' }).map((c) => c.id)).toEqual([uuid(2), uuid(1)]);
    expect(() => queue.discard(uuid(3), 'owner')).toThrow(CommandNotFoundError);

    vi.advanceTimersByTime(7);
    const discarded = queue.discard(uuid(1), 'owner');
    expect(discarded).toMatchObject({ state: 'dead', discarded_at: T0 + 7 });
    expect(queue.discard(uuid(1), 'owner')).toEqual(discarded);
    expect(queue.list({ state: 'dead' }).map((c) => c.id)).toEqual([uuid(2)]);
    expect(queue.list({ state: 'dead', includeDiscarded: true }).map((c) => c.id)).toEqual([uuid(2), uuid(1)]);
    expect(queue.counts()).toMatchObject({ dead: 1, discarded: 1 });
    expect(store.get(uuid(1))).toMatchObject({ state: 'dead', discarded_at: T0 + 7 });
    expect(queue.auditTrail(uuid(1)).map((a) => [a.action, a.client])).toEqual([
      ['accepted', 'desktop'],
      ['sent', 'relay'],
      ['dead', 'relay'],
      ['discarded', 'owner'],
    ]);

    transport.connect();
    queue.retry(uuid(1), 'owner');
    expect(store.get(uuid(1))).toMatchObject({ state: 'sent', discarded_at: null });
    expect(queue.counts()).toMatchObject({ dead: 1, discarded: 0, sent: 1 });
    expect(() => queue.discard(uuid(1), 'owner')).toThrow(CommandStateError);
  });
});

describe('command queue: answers', () => {
  it('answers for unknown ids and duplicate answers are logged and change nothing', () => {
    const { queue, store, transport, changes, lines } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    transport.succeed(uuid(1));
    const settled = store.get(uuid(1));
    const auditRows = queue.auditTrail(uuid(1)).length;
    const changeCount = changes.length;

    transport.succeed(uuid(1));
    transport.fail(uuid(1), 'unavailable');
    transport.fail(uuid(1), 'unknown_zone');
    transport.succeed(uuid(7));
    expect(store.get(uuid(1))).toEqual(settled);
    expect(queue.auditTrail(uuid(1))).toHaveLength(auditRows);
    expect(changes).toHaveLength(changeCount);
    expect(store.get(uuid(7))).toBeNull();
    expect(lines.filter((l) => l.msg.includes('ignored')).map((l) => l.id)).toEqual([uuid(1), uuid(1), uuid(1), uuid(7)]);
  });

  it('a late success for a command given up on is the truth about it: dead becomes succeeded', () => {
    const { queue, store, transport, finished } = buildQueue({ options: { maxAttempts: 1 } });
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    vi.advanceTimersByTime(30_000);
    expect(stateOf(store, uuid(1))).toBe('dead');
    transport.succeed(uuid(1));
    expect(store.get(uuid(1))).toMatchObject({ state: 'succeeded', result: { outcome: 'succeeded' } });
    expect(queue.auditTrail(uuid(1)).at(-1)).toMatchObject({ action: 'succeeded', detail: 'late answer (was dead)' });
    // Latency is reported once, when it first became final.
    expect(finished.map((f) => f.state)).toEqual(['dead']);
  });

  it('a late answer for a command waiting to be retried: a success settles it, a refusal that may be stale is ignored', () => {
    const { queue, store, transport } = buildQueue();
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    queue.enqueue({ id: uuid(2), body: setpoint('den') }, 'desktop');
    transport.disconnect();
    transport.fail(uuid(1), 'unknown_zone');
    expect(stateOf(store, uuid(1))).toBe('queued');
    transport.succeed(uuid(2));
    expect(stateOf(store, uuid(2))).toBe('succeeded');
    transport.connect();
    vi.advanceTimersByTime(1000);
    expect(transport.sentIds()).toEqual([uuid(1), uuid(2), uuid(1)]);
  });

  it('an answer that comes back inside send() itself is handled after the send completes', () => {
    const { queue, store, transport } = buildQueue();
    const agent = new FakeAgent();
    transport.onSend = (c) => transport.deliver(agent.answer(c));
    transport.connect();
    queue.start();
    for (const n of [1, 2, 3]) queue.enqueue({ id: uuid(n), body: setpoint() }, 'desktop');
    for (const n of [1, 2, 3]) expect(stateOf(store, uuid(n))).toBe('succeeded');
    vi.advanceTimersByTime(10 * 60_000);
    expect(transport.sentIds()).toEqual([uuid(1), uuid(2), uuid(3)]);
  });
});

describe('command queue: start, stop and recovery', () => {
  it('runs no timers and sends nothing before start(); stop() clears its timers and stops listening', () => {
    const { queue, transport } = buildQueue();
    transport.connect();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    expect(transport.sent).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(transport.listenerCount).toBe(0);
    queue.start();
    expect(transport.sentIds()).toEqual([uuid(1)]);
    expect(vi.getTimerCount()).toBeGreaterThan(0);
    expect(transport.listenerCount).toBe(1);
    queue.stop();
    expect(vi.getTimerCount()).toBe(0);
    expect(transport.listenerCount).toBe(0);
  });

  it('on start, a command a crash left sent goes back to the queue (counted) and is sent again at once', () => {
    const store = new MemoryCommandQueueStore();
    const first = buildQueue({ store });
    first.transport.connect();
    first.queue.start();
    first.queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    expect(stateOf(store, uuid(1))).toBe('sent');
    // The process dies: no stop(), its timers gone with it.
    vi.clearAllTimers();

    const second = buildQueue({ store });
    second.transport.connect();
    second.queue.start();
    expect(second.transport.sentIds()).toEqual([uuid(1)]);
    expect(store.get(uuid(1))).toMatchObject({ state: 'sent', attempts: 2 });
    expect(second.changes.map((c) => c.action)).toEqual(['retried', 'sent']);
    second.transport.succeed(uuid(1));
    expect(stateOf(store, uuid(1))).toBe('succeeded');
  });

  it('a crash while the last attempt was out makes the command dead, not a fourth send', () => {
    const store = new MemoryCommandQueueStore();
    const first = buildQueue({ store, options: { maxAttempts: 2 } });
    first.transport.connect();
    first.queue.start();
    first.queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    first.transport.fail(uuid(1), 'unavailable');
    vi.advanceTimersByTime(1000);
    expect(store.get(uuid(1))).toMatchObject({ state: 'sent', attempts: 2 });
    vi.clearAllTimers();

    const second = buildQueue({ store, options: { maxAttempts: 2 } });
    second.transport.connect();
    second.queue.start();
    expect(second.transport.sent).toEqual([]);
    expect(store.get(uuid(1))).toMatchObject({ state: 'dead', last_error: { code: 'relay_restarted' } });
  });

  it('a listener that throws neither breaks the queue nor keeps the others from hearing', () => {
    const { queue, store, transport, changes, lines } = buildQueue();
    queue.listen({
      changed: () => {
        throw new Error('UI push failed');
      },
    });
    transport.connect();
    queue.start();
    queue.enqueue({ id: uuid(1), body: setpoint() }, 'desktop');
    transport.succeed(uuid(1));
    expect(stateOf(store, uuid(1))).toBe('succeeded');
    expect(changes.map((c) => c.state)).toEqual(['queued', 'sent', 'succeeded']);
    expect(lines.filter((l) => l.msg === 'a command queue listener threw')).toHaveLength(3);
  });

  it('list() is newest first, filters by state and clamps its limit', () => {
    const { queue, transport } = buildQueue();
    queue.start();
    for (const n of [1, 2, 3, 4]) queue.enqueue({ id: uuid(n), body: setpoint() }, 'desktop');
    transport.connect();
    transport.succeed(uuid(2));
    expect(queue.list().map((c) => c.id)).toEqual([uuid(4), uuid(3), uuid(2), uuid(1)]);
    expect(queue.list({ limit: 2 }).map((c) => c.id)).toEqual([uuid(4), uuid(3)]);
    expect(queue.list({ limit: 0 }).map((c) => c.id)).toEqual([uuid(4)]);
    expect(queue.list({ state: 'sent' }).map((c) => c.id)).toEqual([uuid(4), uuid(3), uuid(1)]);
    expect(queue.list({ state: 'succeeded' }).map((c) => c.id)).toEqual([uuid(2)]);
    expect(queue.get(uuid(2))?.state).toBe('succeeded');
    expect(queue.get(uuid(8))).toBeNull();
  });
});
