import type { Command, CommandResult } from '@boiler/shared';
import type { AgentLink } from '../link/agent-link.js';

/** What the link tells the queue: answers from the agent and the link coming and going. */
export interface CommandTransportListener {
  commandResult?(result: CommandResult): void;
  connected?(): void;
  disconnected?(): void;
}

/** The way to the agent as the queue sees it: the agent link in the relay, a fake in tests. */
export interface CommandTransport {
  /** Whether a send can go out now. */
  readonly connected: boolean;
  /** Hands a command to the link; false when it could not go out (the queue keeps it). */
  send(command: Command): boolean;
  /** Subscribes; returns the unsubscribe function. */
  listen(listener: CommandTransportListener): () => void;
}

/** The relay's agent link as the queue's transport. */
export function agentLinkTransport(link: AgentLink): CommandTransport {
  return {
    get connected() {
      return link.connected;
    },
    send: (command) => link.sendCommand(command),
    listen: (listener) => link.listen(listener),
  };
}
