import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CommandBody } from '@boiler/shared';
import {
  CommandExistsError,
  CommandNotFoundError,
  MemoryCommandQueueStore,
  type AuditEntry,
  type CommandQueueStore,
  type NewQueuedCommand,
  type QueuedCommand,
} from '../../src/queue/index.js';
import { T0, setpoint, uuid, newCommand } from './harness.js';
import { useTempQueueFiles } from './temp-queue.js';

const files = useTempQueueFiles();

function fresh(n: number, change: Partial<NewQueuedCommand> = {}): NewQueuedCommand {
  return newCommand(n, change);
}

function audit(n: number, action: AuditEntry['action'], ts = T0): AuditEntry {
  return { ts, command_id: uuid(n), client: 'desktop', action, detail: null };
}

const BODIES: CommandBody[] = [
  setpoint('kitchen', 21.5),
  { type: 'setpoint', zone: 'den', setpoint_c: 18, override: 'until', until: T0 + 3_600_000 },
  { type: 'zone_mode', zone: 'bath-2', mode: 'THERMOSTAT' },
  { type: 'boost', zone: 'garage', minutes: 240 },
  { type: 'away', until: T0 },
  { type: 'home' },
  { type: 'preset_apply', name: 'winter', zones: ['a', 'b_c'] },
  { type: 'alert_ack', alert_id: 'alert-7' },
];

const epoch = fc.integer({ min: 0, max: 8_000_000_000_000 });

/** Any record the queue could store, however unlikely its combination of fields. */
const anyRecord: fc.Arbitrary<NewQueuedCommand> = fc.record({
  id: fc.uuid({ version: 4 }),
  body: fc.constantFrom(...BODIES),
  created_at: epoch,
  expires_at: epoch,
  issued_by: fc.option(fc.string({ minLength: 1, maxLength: 100 }), { nil: null }),
  client: fc.string({ minLength: 1, maxLength: 200 }),
  accepted_at: epoch,
  state: fc.constantFrom('queued', 'sent', 'succeeded', 'failed', 'expired', 'dead'),
  attempts: fc.nat({ max: 1000 }),
  next_attempt_at: fc.option(epoch, { nil: null }),
  sent_at: fc.option(epoch, { nil: null }),
  last_error: fc.option(fc.record({ code: fc.string({ minLength: 1, maxLength: 64 }), message: fc.string({ maxLength: 500 }) }), { nil: null }),
  result: fc.constantFrom(null, { id: uuid(1), outcome: 'failed' as const, error: { code: 'unknown_zone', message: 'ü ✓ "quoted"' }, seq: null, finished_at: T0 }, {
    id: uuid(1),
    outcome: 'succeeded' as const,
    error: null,
    seq: 123_456_789,
    finished_at: T0,
  }),
  finished_at: fc.option(epoch, { nil: null }),
  discarded_at: fc.option(epoch, { nil: null }),
  updated_at: epoch,
});

const STORES: [string, () => CommandQueueStore][] = [
  ['in memory', () => new MemoryCommandQueueStore()],
  ['SQLite', () => files.openStore()],
];

describe.each(STORES)('command queue store (%s)', (_name, open) => {
  it('gives commands their arrival order as they are inserted, whatever their ids', () => {
    const store = open();
    const a = store.insert(fresh(9), audit(9, 'accepted'));
    const b = store.insert(fresh(2), audit(2, 'accepted'));
    const c = store.insert(fresh(5), audit(5, 'accepted'));
    expect([a.arrival, b.arrival, c.arrival]).toEqual([1, 2, 3]);
    expect(store.get(uuid(2))).toEqual({ ...fresh(2), arrival: 2 });
    expect(store.get(uuid(3))).toBeNull();
    expect(store.inState('queued', { limit: 10 }).map((x) => x.id)).toEqual([uuid(9), uuid(2), uuid(5)]);
  });

  it('refuses a second insert of an id, keeping the first and writing no audit row', () => {
    const store = open();
    store.insert(fresh(1), audit(1, 'accepted'));
    expect(() => store.insert(fresh(1, { client: 'other' }), audit(1, 'accepted', T0 + 1))).toThrow(CommandExistsError);
    expect(store.get(uuid(1))?.client).toBe('desktop');
    expect(store.auditTrail(uuid(1))).toEqual([audit(1, 'accepted')]);
    expect(store.insert(fresh(2), audit(2, 'accepted')).arrival).toBe(2);
  });

  it('update replaces everything but id and arrival, with its audit row; an unknown id writes nothing', () => {
    const store = open();
    const stored = store.insert(fresh(1), audit(1, 'accepted'));
    const sent: QueuedCommand = { ...stored, arrival: 99, state: 'sent', attempts: 1, sent_at: T0 + 5, next_attempt_at: null, updated_at: T0 + 5 };
    store.update(sent, audit(1, 'sent', T0 + 5));
    expect(store.get(uuid(1))).toEqual({ ...sent, arrival: 1 });
    expect(store.auditTrail(uuid(1)).map((a) => a.action)).toEqual(['accepted', 'sent']);
    expect(() => store.update({ ...sent, id: uuid(2) }, audit(2, 'sent'))).toThrow(CommandNotFoundError);
    expect(store.auditTrail(uuid(2))).toEqual([]);
  });

  it('inState pages through one state in arrival order', () => {
    const store = open();
    for (let n = 1; n <= 7; n++) store.insert(fresh(n, { state: n % 2 === 0 ? 'sent' : 'queued' }), audit(n, 'accepted'));
    expect(store.inState('queued', { limit: 2 }).map((c) => c.arrival)).toEqual([1, 3]);
    expect(store.inState('queued', { afterArrival: 3, limit: 2 }).map((c) => c.arrival)).toEqual([5, 7]);
    expect(store.inState('queued', { afterArrival: 7, limit: 2 })).toEqual([]);
    expect(store.inState('sent', { limit: 10 }).map((c) => c.arrival)).toEqual([2, 4, 6]);
    expect(store.inState('dead', { limit: 10 })).toEqual([]);
  });

  it('lists newest first, by state, leaving discarded commands out unless asked; counts them apart', () => {
    const store = open();
    store.insert(fresh(1, { state: 'dead' }), audit(1, 'accepted'));
    store.insert(fresh(2, { state: 'dead', discarded_at: T0 }), audit(2, 'accepted'));
    store.insert(fresh(3, { state: 'succeeded' }), audit(3, 'accepted'));
    store.insert(fresh(4, { state: 'dead' }), audit(4, 'accepted'));
    store.insert(fresh(5), audit(5, 'accepted'));
    const ids = (cs: QueuedCommand[]): string[] => cs.map((c) => c.id);
    expect(ids(store.list({ limit: 10 }))).toEqual([uuid(5), uuid(4), uuid(3), uuid(1)]);
    expect(ids(store.list({ limit: 2 }))).toEqual([uuid(5), uuid(4)]);
    expect(ids(store.list({ state: 'dead', limit: 10 }))).toEqual([uuid(4), uuid(1)]);
    expect(ids(store.list({ state: 'dead', limit: 10, includeDiscarded: true }))).toEqual([uuid(4), uuid(2), uuid(1)]);
    expect(store.counts()).toEqual({ queued: 1, sent: 0, succeeded: 1, failed: 0, expired: 0, dead: 2, discarded: 1 });
  });

  it('keeps each command’s audit trail apart, oldest first', () => {
    const store = open();
    const one = store.insert(fresh(1), audit(1, 'accepted'));
    store.insert(fresh(2), audit(2, 'accepted', T0 + 1));
    store.update({ ...one, state: 'sent' }, { ...audit(1, 'sent', T0 + 2), client: 'relay', detail: 'attempt 1' });
    store.update({ ...one, state: 'succeeded' }, audit(1, 'succeeded', T0 + 3));
    expect(store.auditTrail(uuid(1))).toEqual([
      audit(1, 'accepted'),
      { ts: T0 + 2, command_id: uuid(1), client: 'relay', action: 'sent', detail: 'attempt 1' },
      audit(1, 'succeeded', T0 + 3),
    ]);
    expect(store.auditTrail(uuid(2))).toEqual([audit(2, 'accepted', T0 + 1)]);
  });

  it('hands out copies: changing a returned record changes nothing stored', () => {
    const store = open();
    const inserted = store.insert(fresh(1), audit(1, 'accepted'));
    inserted.state = 'dead';
    const got = store.get(uuid(1));
    if (got === null) return expect.unreachable();
    got.attempts = 7;
    if (got.body.type === 'setpoint') got.body.setpoint_c = 30;
    expect(store.get(uuid(1))).toEqual({ ...fresh(1), arrival: 1 });
  });

  it('reads back exactly what it stored, for any record', () => {
    const store = open();
    let n = 0;
    fc.assert(
      fc.property(anyRecord, (record) => {
        const r = { ...record, id: uuid(++n) };
        const stored = store.insert(r, audit(n, 'accepted'));
        expect(store.get(r.id)).toEqual(stored);
        expect(stored).toEqual({ ...r, arrival: n });
        const changed = { ...stored, ...record, id: r.id, arrival: n };
        store.update(changed, audit(n, 'sent'));
        expect(store.get(r.id)).toEqual(changed);
      }),
      { numRuns: 80 },
    );
  });
});
