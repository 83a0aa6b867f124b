import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { Codec, type Command } from '@boiler/shared';
import { nodeCompression } from '@boiler/service';
import { AgentLink, type LinkListener, type ReplicaSink } from '../../src/link/agent-link.js';
import { agentLinkTransport } from '../../src/queue/index.js';
import { T0, setpoint, uuid } from './harness.js';

/** The link is never started here, so the replica is never touched. */
const unusedReplica = new Proxy({} as ReplicaSink, {
  get() {
    throw new Error('the replica was touched');
  },
});

/** The real link with its socket side replaced by a record of what it was asked. */
class ProbeLink extends AgentLink {
  up = false;
  readonly commands: Command[] = [];
  readonly subscribed: LinkListener[] = [];

  override get connected(): boolean {
    return this.up;
  }

  override sendCommand(command: Command): boolean {
    this.commands.push(command);
    return this.up;
  }

  override listen(listener: LinkListener): () => void {
    this.subscribed.push(listener);
    return super.listen(listener);
  }
}

describe('the agent link as the queue’s transport', () => {
  it('reads the link’s state live, sends through sendCommand and subscribes through listen', () => {
    const link = new ProbeLink(unusedReplica, new Codec(nodeCompression), pino({ level: 'silent' }), {
      url: 'ws://127.0.0.1:9/ws',
      secret: 'a-secret-of-at-least-16',
      clientName: 'test',
    });
    const transport = agentLinkTransport(link);
    const command: Command = { id: uuid(1), created_at: T0, expires_at: T0 + 1, body: setpoint() };
    expect(transport.connected).toBe(false);
    expect(transport.send(command)).toBe(false);
    link.up = true;
    expect(transport.connected).toBe(true);
    expect(transport.send(command)).toBe(true);
    expect(link.commands).toEqual([command, command]);
    const listener = { connected: () => undefined };
    const unsubscribe = transport.listen(listener);
    expect(link.subscribed).toEqual([listener]);
    expect(typeof unsubscribe).toBe('function');
  });

  it('a link that was never started reports down and refuses to send', () => {
    const link = new AgentLink(unusedReplica, new Codec(nodeCompression), pino({ level: 'silent' }), {
      url: 'ws://127.0.0.1:9/ws',
      secret: 'a-secret-of-at-least-16',
      clientName: 'test',
    });
    const transport = agentLinkTransport(link);
    expect(transport.connected).toBe(false);
    expect(transport.send({ id: uuid(1), created_at: T0, expires_at: T0 + 1, body: setpoint() })).toBe(false);
  });
});
