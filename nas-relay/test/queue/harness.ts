import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, vi } from 'vitest';
import type { CommandBody } from '@boiler/shared';
import type { Logger } from '@boiler/service';
import {
  CommandQueue,
  MemoryCommandQueueStore,
  type AuditAction,
  type CommandQueueOptions,
  type CommandQueueStore,
  type QueuedCommand,
} from '../../src/queue/index.js';
import type { NewQueuedCommand } from '../../src/queue/store.js';
import { FakeTransport } from './fakes/fake-transport.js';

/** Noon UTC on a winter day: where every test's fake clock starts. */
export const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

/** The queue's clock in tests: vitest's fake Date, which advanceTimersByTime moves with the timers. */
export const clock = { now: (): number => Date.now() };

/** Fake timers and Date from T0 for every test of the calling file. */
export function useFakeClock(): void {
  beforeEach(() => {
    vi.useFakeTimers({ now: T0, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'setImmediate', 'clearImmediate', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });
}

/** A UUID (v4 layout) for a small number, so tests can name commands. */
export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

/** A setpoint command for a zone: the most common thing the owner sends. */
export function setpoint(zone = 'kitchen', c = 20): CommandBody {
  return { type: 'setpoint', zone, setpoint_c: c, override: 'permanent' };
}

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/** A pino logger whose lines land in an array, for tests that check what was logged. */
export function memoryLogger(): { log: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) if (text !== '') lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  return { log: pino({ level: 'debug' }, sink), lines };
}

export interface Change {
  id: string;
  state: QueuedCommand['state'];
  action: AuditAction;
}

export interface QueueHarness {
  queue: CommandQueue;
  store: CommandQueueStore;
  transport: FakeTransport;
  /** Every change the queue reported to its listener, in order. */
  changes: Change[];
  /** Every finished() report: the latency metric's input. */
  finished: { id: string; state: QueuedCommand['state']; latencyMs: number }[];
  lines: LogLine[];
}

/** A queue on the given (or a fresh in-memory) store and a fake transport, not started. */
export function buildQueue(setup: { store?: CommandQueueStore; transport?: FakeTransport; options?: Partial<CommandQueueOptions> } = {}): QueueHarness {
  const store = setup.store ?? new MemoryCommandQueueStore();
  const transport = setup.transport ?? new FakeTransport();
  const { log, lines } = memoryLogger();
  const changes: Change[] = [];
  const finished: QueueHarness['finished'] = [];
  const queue = new CommandQueue(store, transport, clock, setup.options ?? {}, log, {
    changed: (c, action) => changes.push({ id: c.id, state: c.state, action }),
    finished: (c, latencyMs) => finished.push({ id: c.id, state: c.state, latencyMs }),
  });
  return { queue, store, transport, changes, finished, lines };
}

/** The stored state of a command, failing the test when it is missing. */
export function stateOf(store: CommandQueueStore, id: string): QueuedCommand['state'] {
  const c = store.get(id);
  if (c === null) throw new Error(`command ${id} is not stored`);
  return c.state;
}

/** A new queued command numbered n, as the queue hands it to its store; `change` sets any field. */
export function newCommand(n: number, change: Partial<NewQueuedCommand> = {}): NewQueuedCommand {
  return {
    id: uuid(n),
    body: setpoint(),
    created_at: T0,
    expires_at: T0 + 600_000,
    issued_by: null,
    client: 'desktop',
    accepted_at: T0,
    state: 'queued',
    attempts: 0,
    next_attempt_at: T0,
    sent_at: null,
    last_error: null,
    result: null,
    finished_at: null,
    discarded_at: null,
    updated_at: T0,
    ...change,
  };
}
