import type { Command, EventEntry, SiteSettings, SystemState, WeeklySchedule, ZoneState } from '@boiler/shared';
import type { AgentBus } from '../../src/bus.js';
import type { CommandAnswer, OutboxSource } from '../../src/facade.js';
import type { AgentStore } from '../../src/store/index.js';

// What the link server reads, for its in-process tests: the events come from a real AgentStore
// (a SQLite file), the zones, system state and settings are the test's to set, and commands are
// answered the way the test says (the Agent's own execute has tests of its own).

const WEEK_DAY = [{ at: '06:00', setpoint_c: 20 }];
const WEEK: WeeklySchedule = { sun: WEEK_DAY, mon: WEEK_DAY, tue: WEEK_DAY, wed: WEEK_DAY, thu: WEEK_DAY, fri: WEEK_DAY, sat: WEEK_DAY };

export function zoneState(zone: string, overrides: Partial<ZoneState> = {}): ZoneState {
  return {
    zone,
    label: `Zone ${zone}`,
    kind: 'heat',
    mode: 'AUTO',
    output: false,
    call_for_heat: false,
    condition: 'normal',
    room_c: 19.5,
    pipe_c: null,
    setpoint_c: 20,
    override: null,
    boost_until: null,
    fault: null,
    changed_at: 1,
    updated_at: 1,
    ...overrides,
  };
}

export const SYSTEM: SystemState = { away: false, away_until: null, outdoor_c: 4, boiler_firing: false, hardware: 'sim', time_zone: 'America/Denver', alerts: [], updated_at: 1 };

export class StoredOutbox implements OutboxSource {
  zoneStates: ZoneState[] = [zoneState('Z1'), zoneState('Z2')];
  systemState: SystemState = SYSTEM;
  siteSettings: SiteSettings = { default_schedule: WEEK, zone_schedules: [], presets: [] };
  /** Commands the link handed over, with the actor it named. */
  readonly executed: { command: Command; actor: string }[] = [];
  /** How the next commands are answered; by default refused as unavailable. */
  answerCommand: (command: Command) => CommandAnswer = () => ({ kind: 'refused', code: 'unavailable', message: 'no answer scripted' });

  constructor(
    readonly store: AgentStore,
    private readonly bus: AgentBus,
    private readonly wallNow: () => number,
  ) {}

  /**
   * Appends events of a kind to the store and tells the bus, as the agent does after its
   * transaction commits; `detail` makes them as large as a test needs.
   */
  append(count: number, kind: EventEntry['event'] = 'SAMPLE', detail: (i: number) => string | null = () => null): EventEntry[] {
    const rows = Array.from({ length: count }, (_, i) => ({
      ts: this.wallNow(),
      source: kind === 'SAMPLE' ? ('sampler' as const) : ('control' as const),
      zone: 'Z1',
      event: kind,
      room_c: 19.5,
      pipe_c: null,
      outdoor_c: 4,
      duration_s: null,
      detail: detail(i),
    }));
    const written = this.store.appendEvents(rows);
    this.bus.emit('events', written);
    return written;
  }

  lastSeq(): number {
    return this.store.lastSeq();
  }

  oldestSeq(): number {
    return this.store.completeFromSeq() ?? 0;
  }

  eventsAfter(afterSeq: number, limit: number): EventEntry[] {
    return this.store.eventsAfter(afterSeq, limit);
  }

  zones(): ZoneState[] {
    return this.zoneStates;
  }

  system(): SystemState {
    return this.systemState;
  }

  settings(): SiteSettings {
    return this.siteSettings;
  }

  execute(command: Command, actor: string): CommandAnswer {
    this.executed.push({ command, actor });
    return this.answerCommand(command);
  }

  now(): number {
    return this.wallNow();
  }
}
