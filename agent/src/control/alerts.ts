import type { Alert, AlertKind, EventEntry } from '@boiler/shared';

/** Deterministic alert ids, so one cause raises one alert however many ticks it lasts. */
export const alertIds = {
  freezeRisk: (zone: string): string => `freeze_risk:${zone}`,
  highLimit: (zone: string): string => `high_limit:${zone}`,
  roomSensor: (zone: string): string => `sensor_fault:${zone}`,
  pipeSensor: (zone: string): string => `sensor_fault:${zone}:pipe`,
  outdoorSensor: 'sensor_fault:outdoor',
  longRun: (zone: string): string => `long_run:${zone}`,
  noTempRise: (zone: string): string => `no_temp_rise:${zone}`,
  storage: 'storage_fault',
  output: (output: string): string => `output_fault:${output}`,
} as const;

const MESSAGE_MAX = 300;

/** One zone's alert ids, built once per zone: building strings in every tick costs more than the checks. */
export interface ZoneAlertIds {
  readonly freezeRisk: string;
  readonly highLimit: string;
  readonly roomSensor: string;
  readonly pipeSensor: string;
  readonly longRun: string;
  readonly noTempRise: string;
}

const idsByZone = new Map<string, ZoneAlertIds>();

/** The alert ids of a zone. */
export function zoneAlertIds(zone: string): ZoneAlertIds {
  let ids = idsByZone.get(zone);
  if (ids === undefined) {
    if (idsByZone.size >= 1024) idsByZone.clear();
    ids = {
      freezeRisk: alertIds.freezeRisk(zone),
      highLimit: alertIds.highLimit(zone),
      roomSensor: alertIds.roomSensor(zone),
      pipeSensor: alertIds.pipeSensor(zone),
      longRun: alertIds.longRun(zone),
      noTempRise: alertIds.noTempRise(zone),
    };
    idsByZone.set(zone, ids);
  }
  return ids;
}

/**
 * The alert list as one tick rewrites it: an alert is raised once while its cause lasts, keeps
 * its acknowledgement, and goes when the cause clears. Alerts the tick does not look at (another
 * part's kinds) are left alone.
 */
export class AlertLedger {
  readonly raised: Alert[] = [];
  readonly cleared: Alert[] = [];
  private readonly byId = new Map<string, Alert>();

  constructor(
    private readonly current: Alert[],
    private readonly wall: number,
  ) {
    for (const alert of current) this.byId.set(alert.id, alert);
  }

  /** Whether an alert with this id is up. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** Raises an alert that is not up yet; returns it, or null if it was already up. */
  raise(id: string, kind: AlertKind, zone: string | null, message: string): Alert | null {
    if (this.byId.has(id)) return null;
    const alert: Alert = { id, kind, zone, message: message.slice(0, MESSAGE_MAX), raised_at: this.wall, acknowledged: false };
    this.byId.set(id, alert);
    this.raised.push(alert);
    return alert;
  }

  /** Clears an alert whose cause has gone; nothing if it was not up. */
  clear(id: string): void {
    const existing = this.byId.get(id);
    if (existing === undefined) return;
    this.byId.delete(id);
    this.cleared.push(existing);
  }

  /** The alert list after this tick; the same array when nothing changed. */
  list(): Alert[] {
    if (this.raised.length === 0 && this.cleared.length === 0) return this.current;
    return [...this.byId.values()];
  }
}

/** An alert the agent raises outside the engine's tick (a storage or output fault), with its ALERT event. */
export interface RaisedAlert {
  alerts: Alert[];
  event: Omit<EventEntry, 'seq'>;
}

/**
 * Raises an alert that is not up yet on the given alert list: the new list and the ALERT event to
 * log, or null when it is already up. The engine's ticks keep it (they leave kinds they do not
 * look at alone) until clearAlert.
 */
export function raiseAlert(
  current: Alert[],
  alert: { id: string; kind: AlertKind; zone: string | null; message: string },
  wall: number,
): RaisedAlert | null {
  const ledger = new AlertLedger(current, wall);
  const raised = ledger.raise(alert.id, alert.kind, alert.zone, alert.message);
  if (raised === null) return null;
  return {
    alerts: ledger.list(),
    event: {
      ts: wall,
      source: 'system',
      zone: raised.zone,
      event: 'ALERT',
      room_c: null,
      pipe_c: null,
      outdoor_c: null,
      duration_s: null,
      detail: `${raised.id}: ${raised.message}`.slice(0, 500),
    },
  };
}

/** The alert list without the alert of this id; null when it was not up. */
export function clearAlert(current: Alert[], id: string): Alert[] | null {
  if (!current.some((a) => a.id === id)) return null;
  return current.filter((a) => a.id !== id);
}
