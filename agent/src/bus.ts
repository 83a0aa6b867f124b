import type { EventEntry } from '@boiler/shared';
import { createLogger, type Logger } from '@boiler/service';

/** What happens inside the agent that other components (the relay link) follow. */
export interface AgentEvents {
  /** Rows appended to the event log, in seq order, after their transaction committed. */
  events: (events: readonly EventEntry[]) => void;
}

type Listener<K extends keyof AgentEvents> = { owner: object; fn: AgentEvents[K] };

/** A typed event bus; listeners are removed by owner when a component stops. */
export class AgentBus {
  private readonly listeners: { [K in keyof AgentEvents]: Listener<K>[] } = { events: [] };

  /** `log` gets a line for each listener that throws; without one, a logger of its own is made at the first failure. */
  constructor(private log: Logger | null = null) {}

  on<K extends keyof AgentEvents>(event: K, owner: object, fn: AgentEvents[K]): void {
    this.listeners[event].push({ owner, fn } as never);
  }

  emit<K extends keyof AgentEvents>(event: K, ...args: Parameters<AgentEvents[K]>): void {
    for (const l of [...this.listeners[event]]) {
      // A listener's failure must never reach the control loop that emitted, nor keep the others from hearing.
      try {
        (l.fn as (...a: Parameters<AgentEvents[K]>) => void)(...args);
      } catch (err) {
        this.log ??= createLogger({ name: 'agent-bus', level: 'error' });
        this.log.error({ err, event, listener: l.owner.constructor.name }, 'a bus listener failed; the others still heard the event');
      }
    }
  }

  removeAll(owner: object): void {
    for (const key of Object.keys(this.listeners) as (keyof AgentEvents)[]) {
      this.listeners[key] = this.listeners[key].filter((l) => l.owner !== owner) as never;
    }
  }
}
