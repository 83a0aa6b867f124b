import type {
  Command,
  CommandResult,
  EventEntry,
  EventKind,
  HistoryPoint,
  Preset,
  SiteSettings,
  SystemState,
  WeeklySchedule,
  ZoneState,
  ZoneStatsReply,
} from '@boiler/shared';
import type { RefusalCode } from './control/commands.js';
import type { SimulatorControls } from './hardware/types.js';

// What the agent offers its edges (the HTTP API in api/, the relay link in sync/), in the
// domain's words: each edge maps an answer to its own terms (a status, a frame).

/** Why the agent did not run a command: the engine's refusals, plus the agent's own. */
export type CommandRefusalCode =
  | RefusalCode
  /** The id already ran with other parameters. */
  | 'id_conflict'
  /** Its expires_at passed before it arrived. */
  | 'expired'
  /** The agent cannot run or store it now (a disk fault, stopping): the sender may retry. */
  | 'unavailable';

/** How the agent answered a command: run (now, or earlier under the same id), or refused with a reason. */
export type CommandAnswer =
  | { kind: 'done'; result: CommandResult; replayed: boolean }
  | { kind: 'refused'; code: CommandRefusalCode; message: string };

export interface EventQuery {
  zone?: string;
  event?: EventKind | readonly EventKind[];
  from?: number;
  to?: number;
  beforeSeq?: number;
  limit: number;
}

/** The agent's /health: `degraded` with its reasons (a silent loop, a storage or output fault). */
export interface AgentHealth {
  status: 'ok' | 'degraded';
  /** Why it is degraded, in words; empty when ok. */
  reasons: string[];
  uptime: number;
  /** Bytes; -1 when the database cannot be read. */
  db_size: number;
  memory: { rss: number; heap_used: number };
  /** Whether writes reach the database, how many wait in memory, and how many were dropped past the bound. */
  storage: { ok: boolean; pending: number; dropped: { samples: number; events: number; invalid: number } };
}

/** What the HTTP API reads and asks of the running agent. */
export interface AgentFacade {
  zones(): ZoneState[];
  system(): SystemState;
  events(query: EventQuery): EventEntry[];
  history(zone: string, from: number, to: number, points: number): HistoryPoint[];
  /** A zone's statistics per site day over [from, to), counted up to the agent's now. */
  zoneStats(zone: string, from: number, to: number): ZoneStatsReply;
  schedules(): { zone: string; schedule: WeeklySchedule }[];
  presets(): Preset[];
  health(): AgentHealth;
  execute(command: Command, actor: string): CommandAnswer;
  now(): number;
  /** Present only on the simulator: fault injection for development and tests. */
  simulator?: SimulatorControls | undefined;
}

/** What the relay link reads from the agent: the outbox (the event table) and current state. */
export interface OutboxSource {
  lastSeq(): number;
  /** The oldest event still stored, or 0 when there is none. */
  oldestSeq(): number;
  eventsAfter(afterSeq: number, limit: number): EventEntry[];
  zones(): ZoneState[];
  system(): SystemState;
  settings(): SiteSettings;
  execute(command: Command, actor: string): CommandAnswer;
  now(): number;
}
