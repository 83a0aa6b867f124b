import type { Command, CommandResult } from '@boiler/shared';
import type { CommandTransport, CommandTransportListener } from '../../../src/queue/index.js';

/**
 * A hand-written stand-in for the agent link: it records every command it is asked to send,
 * and the test decides when the link comes up or drops and what the agent answers.
 */
export class FakeTransport implements CommandTransport {
  /** Every command that went out, in order (copies, as the wire would carry them). */
  readonly sent: Command[] = [];
  /** While set, send() refuses (returns false) even when connected: a socket closing under us. */
  refuseSends = false;
  /** Called inside send() before it returns: tests look at the store at that instant. */
  onSend: ((command: Command) => void) | undefined;
  private up = false;
  private readonly listeners = new Set<CommandTransportListener>();

  get connected(): boolean {
    return this.up;
  }

  send(command: Command): boolean {
    if (!this.up || this.refuseSends) return false;
    this.sent.push(structuredClone(command));
    this.onSend?.(command);
    return true;
  }

  listen(listener: CommandTransportListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** How many listeners are subscribed (the queue's, while it runs). */
  get listenerCount(): number {
    return this.listeners.size;
  }

  /** The ids sent, in order. */
  sentIds(): string[] {
    return this.sent.map((c) => c.id);
  }

  connect(): void {
    this.up = true;
    for (const l of [...this.listeners]) l.connected?.();
  }

  disconnect(): void {
    this.up = false;
    for (const l of [...this.listeners]) l.disconnected?.();
  }

  /** Delivers an answer from the agent, as the link would on a command_response. */
  deliver(result: CommandResult): void {
    for (const l of [...this.listeners]) l.commandResult?.(result);
  }

  succeed(id: string, finishedAt = Date.now()): void {
    this.deliver({ id, outcome: 'succeeded', error: null, seq: 1, finished_at: finishedAt });
  }

  fail(id: string, code: string, message = code, finishedAt = Date.now()): void {
    this.deliver({ id, outcome: code === 'expired' ? 'expired' : 'failed', error: { code, message }, seq: null, finished_at: finishedAt });
  }
}

/**
 * The agent's side of commands, as small as it can be and still honest: each id runs at most
 * once, a repeat gets the stored result, an expired one is refused. `answer(command)` is what
 * the agent would reply to a command_request.
 */
export class FakeAgent {
  /** Ids in the order they were executed (each at most once). */
  readonly executed: string[] = [];
  private readonly results = new Map<string, CommandResult>();

  constructor(private readonly now: () => number = Date.now) {}

  answer(command: Command): CommandResult {
    const stored = this.results.get(command.id);
    if (stored !== undefined) return stored;
    const at = this.now();
    if (command.expires_at <= at) {
      return { id: command.id, outcome: 'expired', error: { code: 'expired', message: 'expired' }, seq: null, finished_at: at };
    }
    this.executed.push(command.id);
    const result: CommandResult = { id: command.id, outcome: 'succeeded', error: null, seq: this.executed.length, finished_at: at };
    this.results.set(command.id, result);
    return result;
  }
}
