import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError, type Command, type CommandResult } from '@boiler/shared';
import { DuplicateCommandError, StoreError, type AgentStore } from '../../src/store/index.js';
import { useTempFiles } from './temp-store.js';

const files = useTempFiles();

const ID_A = '6f1c1f7e-2b4e-4c8e-9a51-3c1d2e4f5a6b';
const ID_B = '0d4e7a2c-9b1f-4e3a-8c5d-7f6e5d4c3b2a';

function command(id: string, mode: 'ON' | 'OFF' = 'ON'): Command {
  return { id, created_at: 1_000, expires_at: 601_000, issued_by: 'owner', body: { type: 'zone_mode', zone: 'Z1', mode } };
}

function paramHash(c: Command): string {
  return createHash('sha256').update(JSON.stringify(c.body)).digest('hex');
}

/** The slice of a zone's runtime state these tests change. */
const ZoneMode = z.strictObject({ mode: z.enum(['AUTO', 'ON', 'OFF', 'THERMOSTAT']) });

type Answer = { kind: 'done'; result: CommandResult } | { kind: 'refused'; reason: string };

/**
 * How the command layer is meant to use the store: look the id up, and either answer from the
 * record or apply the change, its event, the result and the audit row in one transaction.
 */
function execute(store: AgentStore, c: Command, now: number, failBeforeResult = false): Answer {
  return store.transaction((): Answer => {
    const seen = store.findCommand(c.id);
    if (seen !== null) {
      return seen.paramHash === paramHash(c) ? { kind: 'done', result: seen.result } : { kind: 'refused', reason: 'same id, other parameters' };
    }
    const [event] = store.appendEvents([
      { ts: now, source: 'command', zone: 'Z1', event: 'COMMAND', room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: `mode ${c.body.type}` },
    ]);
    store.saveRuntime({ zone: 'Z1' }, { mode: c.body.type === 'zone_mode' ? c.body.mode : 'AUTO' }, now);
    store.audit({ ts: now, commandId: c.id, actor: c.issued_by ?? 'unknown', action: c.body.type, detail: null });
    if (failBeforeResult) throw new Error('power glitch');
    const result: CommandResult = { id: c.id, outcome: 'succeeded', error: null, seq: event?.seq ?? null, finished_at: now };
    store.recordCommand(c, paramHash(c), result, now - 5);
    return { kind: 'done', result };
  });
}

describe('commands', () => {
  it('finds nothing for an id never finished, and the stored record once it is', () => {
    const store = files.openStore();
    expect(store.findCommand(ID_A)).toBeNull();
    const answer = execute(store, command(ID_A), 2_000);
    expect(answer).toEqual({ kind: 'done', result: { id: ID_A, outcome: 'succeeded', error: null, seq: 1, finished_at: 2_000 } });
    expect(store.findCommand(ID_A)).toEqual({
      id: ID_A,
      paramHash: paramHash(command(ID_A)),
      body: command(ID_A).body,
      outcome: 'succeeded',
      result: { id: ID_A, outcome: 'succeeded', error: null, seq: 1, finished_at: 2_000 },
      receivedAt: 1_995,
      finishedAt: 2_000,
    });
  });

  it('executes an id at most once: a repeat answers the stored result and changes nothing, other parameters are refused', () => {
    let store = files.openStore();
    const first = execute(store, command(ID_A, 'ON'), 2_000);
    store.close();
    store = files.openStore();
    const repeat = execute(store, command(ID_A, 'ON'), 9_000);
    expect(repeat).toEqual(first);
    expect(execute(store, command(ID_A, 'OFF'), 9_500)).toEqual({ kind: 'refused', reason: 'same id, other parameters' });
    expect(store.lastSeq()).toBe(1);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneMode)).toEqual({ mode: 'ON' });
    expect(store.auditTrail({ commandId: ID_A })).toHaveLength(1);
    execute(store, command(ID_B, 'OFF'), 10_000);
    expect(store.lastSeq()).toBe(2);
  });

  it('keeps nothing of a command whose transaction failed: no event, no state, no audit, no record', () => {
    const store = files.openStore();
    expect(() => execute(store, command(ID_A), 2_000, true)).toThrow('power glitch');
    expect(store.findCommand(ID_A)).toBeNull();
    expect(store.lastSeq()).toBe(0);
    expect(store.loadRuntime({ zone: 'Z1' }, ZoneMode)).toBeNull();
    expect(store.auditTrail()).toEqual([]);
    // And the id can then run for real.
    expect(execute(store, command(ID_A), 3_000)).toMatchObject({ kind: 'done', result: { seq: 1 } });
  });

  it('refuses to record an id twice, keeping the first record', () => {
    const store = files.openStore();
    const result: CommandResult = { id: ID_A, outcome: 'failed', error: { code: 'unknown_zone', message: 'no zone Z9' }, seq: null, finished_at: 5 };
    store.recordCommand(command(ID_A), 'h1', result);
    expect(() => store.recordCommand(command(ID_A), 'h2', { ...result, outcome: 'succeeded', error: null })).toThrow(DuplicateCommandError);
    expect(store.findCommand(ID_A)).toMatchObject({ paramHash: 'h1', outcome: 'failed', receivedAt: 5, result });
  });

  it('refuses a result for another command, an empty hash, and a malformed command', () => {
    const store = files.openStore();
    const result: CommandResult = { id: ID_B, outcome: 'succeeded', error: null, seq: null, finished_at: 5 };
    expect(() => store.recordCommand(command(ID_A), 'h', result)).toThrow(StoreError);
    expect(() => store.recordCommand(command(ID_B), '', result)).toThrow(StoreError);
    expect(() => store.recordCommand({ ...command(ID_B), id: 'not-a-uuid' }, 'h', result)).toThrow(ValidationError);
    expect(store.findCommand(ID_A)).toBeNull();
    expect(store.findCommand(ID_B)).toBeNull();
  });

  it('refuses an audit row naming a command that is never recorded, at commit', () => {
    const store = files.openStore();
    expect(() =>
      store.transaction(() => {
        store.audit({ ts: 1, commandId: ID_B, actor: 'relay', action: 'zone_mode', detail: null });
      }),
    ).toThrow(/FOREIGN KEY/);
    expect(store.auditTrail()).toEqual([]);
    const id = store.audit({ ts: 2, commandId: null, actor: 'system', action: 'startup', detail: 'agent 0.1.0' });
    expect(store.auditTrail()).toEqual([{ id, ts: 2, commandId: null, actor: 'system', action: 'startup', detail: 'agent 0.1.0' }]);
  });

  it('recordExecution stores the event with the next seq, the audit row and the succeeded outcome naming that seq, in the caller\'s transaction', () => {
    const store = files.openStore();
    const event = { ts: 7_000, source: 'command' as const, zone: 'Z1', event: 'COMMAND' as const, room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: `mode ON [${ID_A}]` };
    const run = store.transaction(() => store.recordExecution({ command: command(ID_A), paramHash: paramHash(command(ID_A)), event, actor: 'relay:nas', at: 7_000 }));
    expect(run.event).toMatchObject({ seq: 1, ...event });
    expect(run.event).toEqual(store.eventsAfter(0, 10)[0]);
    expect(run.result).toEqual({ id: ID_A, outcome: 'succeeded', error: null, seq: 1, finished_at: 7_000 });
    expect(store.findCommand(ID_A)).toEqual({
      id: ID_A,
      paramHash: paramHash(command(ID_A)),
      body: command(ID_A).body,
      outcome: 'succeeded',
      result: run.result,
      receivedAt: 7_000,
      finishedAt: 7_000,
    });
    expect(store.auditTrail({ commandId: ID_A })).toEqual([
      { id: expect.any(Number) as number, ts: 7_000, commandId: ID_A, actor: 'relay:nas', action: 'zone_mode', detail: '{"mode":"ON","type":"zone_mode","zone":"Z1"}' },
    ]);
    expect(store.lastSeq()).toBe(1);

    // The same id again: refused, and the transaction it ran in leaves nothing behind.
    expect(() => store.transaction(() => store.recordExecution({ command: command(ID_A), paramHash: 'other', event, actor: 'relay:nas', at: 8_000 }))).toThrow(DuplicateCommandError);
    expect(store.lastSeq()).toBe(1);
    expect(store.auditTrail({ commandId: ID_A })).toHaveLength(1);
  });

  it('recordExecution and appendParsedEvents refuse to run outside a transaction (each statement would commit alone)', () => {
    const store = files.openStore();
    const event = { ts: 1, source: 'command' as const, zone: 'Z1', event: 'COMMAND' as const, room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: null };
    expect(() => store.recordExecution({ command: command(ID_A), paramHash: 'h', event, actor: 'relay', at: 1 })).toThrow(StoreError);
    expect(() => store.appendParsedEvents([event])).toThrow(StoreError);
    expect(store.lastSeq()).toBe(0);
    expect(store.findCommand(ID_A)).toBeNull();
  });

  it('detects a corrupt stored result', () => {
    const store = files.openStore();
    execute(store, command(ID_A), 2_000);
    files.raw().prepare(`UPDATE commands SET result = '{"id":"x"}'`).run();
    expect(() => store.findCommand(ID_A)).toThrow(/command .* result is unreadable/);
  });
});
