import type { EventEntry, SystemState, ZoneState, CommandResult } from '@boiler/shared';

/** What happens inside the agent that other components (the relay link, the API) follow. */
export interface AgentEvents {
  /** Rows appended to the event log, in seq order, after their transaction committed. */
  events: (events: readonly EventEntry[]) => void;
  /** Zone states that changed in a tick or by a command. */
  zones: (zones: readonly ZoneState[]) => void;
  system: (system: SystemState) => void;
  command: (result: CommandResult) => void;
}

type Listener<K extends keyof AgentEvents> = { owner: object; fn: AgentEvents[K] };

/** A typed event bus; listeners are removed by owner when a component stops. */
export class AgentBus {
  private readonly listeners: { [K in keyof AgentEvents]: Listener<K>[] } = { events: [], zones: [], system: [], command: [] };

  on<K extends keyof AgentEvents>(event: K, owner: object, fn: AgentEvents[K]): void {
    this.listeners[event].push({ owner, fn } as never);
  }

  emit<K extends keyof AgentEvents>(event: K, ...args: Parameters<AgentEvents[K]>): void {
    for (const l of [...this.listeners[event]]) {
      // A listener's failure must never reach the control loop that emitted.
      try {
        (l.fn as (...a: Parameters<AgentEvents[K]>) => void)(...args);
      } catch {
        /* each listener logs its own errors */
      }
    }
  }

  removeAll(owner: object): void {
    for (const key of Object.keys(this.listeners) as (keyof AgentEvents)[]) {
      this.listeners[key] = this.listeners[key].filter((l) => l.owner !== owner) as never;
    }
  }
}
