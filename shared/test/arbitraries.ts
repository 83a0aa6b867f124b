import fc from 'fast-check';
import {
  MESSAGE_TYPES,
  message,
  type Message,
  type MessageType,
  type ZoneState,
  type SystemState,
  type EventEntry,
  type WeeklySchedule,
  type CommandBody,
  type Command,
  type CommandResult,
  type PayloadOf,
} from '../src/index.js';

// Temperatures in tenths, as the sensors report them; also avoids -0, which JSON cannot carry.
const celsius = fc.integer({ min: -550, max: 1250 }).map((t) => t / 10);
const setpoint = fc.integer({ min: 50, max: 320 }).map((t) => t / 10);
const epoch = fc.integer({ min: 1_600_000_000_000, max: 2_000_000_000_000 });
const zoneName = fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/);
const hex = (bytes: number) => fc.uint8Array({ minLength: bytes, maxLength: bytes }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
const text = (max: number) => fc.string({ maxLength: max, unit: 'grapheme' });
const clock = fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`);

const entry = fc.oneof(fc.record({ at: clock, setpoint_c: setpoint }), fc.record({ at: clock, on: fc.boolean() }));
const day = fc.array(entry, { maxLength: 4 });
export const weeklySchedule: fc.Arbitrary<WeeklySchedule> = fc.record({ sun: day, mon: day, tue: day, wed: day, thu: day, fri: day, sat: day });

export const zoneState: fc.Arbitrary<ZoneState> = fc.record({
  zone: zoneName,
  label: text(60),
  kind: fc.constantFrom('heat', 'onoff'),
  mode: fc.constantFrom('AUTO', 'ON', 'OFF', 'THERMOSTAT'),
  output: fc.boolean(),
  call_for_heat: fc.boolean(),
  condition: fc.constantFrom('normal', 'sensor_fault', 'freeze_protect', 'high_limit', 'max_run_lockout'),
  room_c: fc.option(celsius, { nil: null }),
  pipe_c: fc.option(celsius, { nil: null }),
  setpoint_c: fc.option(setpoint, { nil: null }),
  override: fc.option(
    fc.record({ kind: fc.constantFrom('next_change', 'permanent', 'until'), setpoint_c: setpoint, until: fc.option(epoch, { nil: null }), set_at: epoch }),
    { nil: null },
  ),
  boost_until: fc.option(epoch, { nil: null }),
  fault: fc.option(text(200), { nil: null }),
  changed_at: epoch,
  updated_at: epoch,
});

export const systemState: fc.Arbitrary<SystemState> = fc.record({
  away: fc.boolean(),
  away_until: fc.option(epoch, { nil: null }),
  outdoor_c: fc.option(celsius, { nil: null }),
  boiler_firing: fc.boolean(),
  hardware: fc.constantFrom('sim', 'pi'),
  time_zone: fc.constantFrom('America/Denver', 'UTC', 'America/Chicago'),
  alerts: fc.array(
    fc.record({
      id: fc.stringMatching(/^[a-z0-9-]{1,64}$/),
      kind: fc.constantFrom('freeze_risk', 'sensor_fault', 'long_run', 'no_temp_rise', 'high_limit', 'stuck_relay'),
      zone: fc.option(zoneName, { nil: null }),
      message: text(300),
      raised_at: epoch,
      acknowledged: fc.boolean(),
    }),
    { maxLength: 3 },
  ),
  updated_at: epoch,
});

export const eventEntry = (seq: number): fc.Arbitrary<EventEntry> =>
  fc.record({
    seq: fc.constant(seq),
    ts: epoch,
    source: fc.constantFrom('control', 'safety', 'thermostat', 'command', 'sampler', 'system'),
    zone: fc.option(zoneName, { nil: null }),
    event: fc.constantFrom('ON', 'OFF', 'SAMPLE', 'ALERT', 'COMMAND'),
    room_c: fc.option(celsius, { nil: null }),
    pipe_c: fc.option(celsius, { nil: null }),
    outdoor_c: fc.option(celsius, { nil: null }),
    setpoint_c: fc.option(celsius, { nil: null }),
    duration_s: fc.option(fc.nat({ max: 86_400 }), { nil: null }),
    detail: fc.option(text(500), { nil: null }),
  });

const events = fc
  .tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 30 }))
  .chain(([first, n]) => fc.tuple(...Array.from({ length: n }, (_, i) => eventEntry(first + i))));

export const commandBody: fc.Arbitrary<CommandBody> = fc.oneof(
  fc.record({ type: fc.constant('zone_mode' as const), zone: zoneName, mode: fc.constantFrom('AUTO', 'ON', 'OFF', 'THERMOSTAT') }),
  fc.record(
    { type: fc.constant('setpoint' as const), zone: zoneName, setpoint_c: setpoint, override: fc.constantFrom('next_change', 'permanent', 'until'), until: epoch },
    { requiredKeys: ['type', 'zone', 'setpoint_c', 'override'] },
  ),
  fc.record({ type: fc.constant('boost' as const), zone: zoneName, minutes: fc.integer({ min: 1, max: 240 }) }),
  fc.record({ type: fc.constant('clear_override' as const), zone: zoneName }),
  fc.record({ type: fc.constant('away' as const), until: epoch }, { requiredKeys: ['type'] }),
  fc.record({ type: fc.constant('home' as const) }),
  fc.record({ type: fc.constant('schedule_set' as const), zone: fc.oneof(zoneName, fc.constant('default')), schedule: weeklySchedule }),
  fc.record({ type: fc.constant('preset_save' as const), name: fc.string({ minLength: 1, maxLength: 40 }), schedule: weeklySchedule }),
  fc.record({ type: fc.constant('preset_apply' as const), name: fc.string({ minLength: 1, maxLength: 40 }), zones: fc.array(zoneName, { minLength: 1, maxLength: 14 }) }),
  fc.record({ type: fc.constant('preset_delete' as const), name: fc.string({ minLength: 1, maxLength: 40 }) }),
  fc.record({ type: fc.constant('alert_ack' as const), alert_id: fc.stringMatching(/^[a-z0-9-]{1,64}$/) }),
);

export const command: fc.Arbitrary<Command> = fc.record(
  { id: fc.uuid({ version: 4 }), created_at: epoch, expires_at: epoch, issued_by: fc.string({ minLength: 1, maxLength: 100 }), body: commandBody },
  { requiredKeys: ['id', 'created_at', 'expires_at', 'body'] },
);

export const commandResult: fc.Arbitrary<CommandResult> = fc.record({
  id: fc.uuid({ version: 4 }),
  outcome: fc.constantFrom('succeeded', 'failed', 'expired'),
  error: fc.option(fc.record({ code: fc.stringMatching(/^[a-z_]{1,64}$/), message: text(500) }), { nil: null }),
  seq: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: null }),
  finished_at: epoch,
});

const payloads: { [T in MessageType]: fc.Arbitrary<PayloadOf<T>> } = {
  auth_challenge: fc.record({ nonce: hex(32), agent: fc.string({ minLength: 1, maxLength: 64 }) }),
  auth_request: fc.record({ nonce: hex(32), client: fc.string({ minLength: 1, maxLength: 64 }) }),
  auth_proof: fc.record({ mac: hex(32) }),
  auth_response: fc.record({ mac: hex(32) }),
  auth_ok: fc.record({ last_seq: fc.nat() }),
  zone_state_update: fc.record({ zones: fc.array(zoneState, { minLength: 1, maxLength: 20 }) }),
  system_state_update: fc.record({ system: systemState }),
  settings_update: fc.record({
    settings: fc.record({
      default_schedule: weeklySchedule,
      zone_schedules: fc.array(fc.record({ zone: zoneName, schedule: weeklySchedule }), { maxLength: 3 }),
      presets: fc.array(fc.record({ name: fc.string({ minLength: 1, maxLength: 40 }), schedule: weeklySchedule, saved_at: epoch }), { maxLength: 2 }),
    }),
  }),
  event_log_entry: events.map((evs) => ({ first_seq: evs[0]!.seq, last_seq: evs[evs.length - 1]!.seq, events: evs })),
  command_request: fc.record({ command }),
  command_response: fc.record({ result: commandResult }),
  heartbeat: fc.record({ last_seq: fc.nat(), digest: hex(16), uptime_s: fc.integer({ min: 0, max: 10_000_000 }) }),
  range_request: fc.record({ after_seq: fc.nat(), to_seq: fc.nat() }),
  full_sync_request: fc.record({ reason: text(200), after_seq: fc.nat() }),
  full_sync_response: fc.record({
    page: fc.nat({ max: 10_000 }),
    done: fc.boolean(),
    snapshot: fc.option(
      fc.record({ zones: fc.array(zoneState, { maxLength: 5 }), system: systemState, last_seq: fc.nat(), first_kept_seq: fc.nat() }),
      { nil: null },
    ),
    events: events.map((e) => [...e]),
  }),
  ack: fc.record({ last_seq: fc.nat() }),
};

/** Any valid message of the given type, with optional envelope fields sometimes present. */
export function messageOf<T extends MessageType>(type: T): fc.Arbitrary<Message> {
  return fc
    .record({ payload: payloads[type] as fc.Arbitrary<PayloadOf<T>>, ts: epoch, seq: fc.option(fc.integer({ min: 1, max: 2 ** 40 }), { nil: undefined }), id: fc.option(fc.uuid(), { nil: undefined }) })
    .map(({ payload, ts, seq, id }) => message(type, payload, { ts, ...(seq === undefined ? {} : { seq }), ...(id === undefined ? {} : { id }) }) as Message);
}

export { MESSAGE_TYPES };
