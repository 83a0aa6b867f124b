import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, stateDigest, ValidationError, SystemState, ZoneState } from '@boiler/shared';
import { CorruptReplicaRecordError } from '../../src/replica/index.js';
import { useTempFiles } from './temp-replica.js';

const files = useTempFiles();

const epoch = fc.integer({ min: 0, max: 8_640_000_000_000_000 });
// Any double in range: -0, subnormals, 0.1 + 0.2 and their like must come back digesting the same.
const celsius = fc.oneof(fc.double({ min: -55, max: 125, noNaN: true }), fc.constantFrom(-0, 0.1 + 0.2, 5e-324, 20.000000000000004, 1e-7));
const setpoint = fc.double({ min: 5, max: 32, noNaN: true });
const text = (maxLength: number) => fc.string({ unit: 'binary', maxLength }).filter((s) => s.length <= maxLength);

const zoneState = fc
  .record({
    zone: fc.constantFrom('Z1', 'Z2', 'Z10', 'Z14', 'a', 'B_2', 'z-9'),
    label: text(60),
    kind: fc.constantFrom('heat' as const, 'onoff' as const),
    mode: fc.constantFrom('AUTO' as const, 'ON' as const, 'OFF' as const, 'THERMOSTAT' as const),
    output: fc.boolean(),
    call_for_heat: fc.boolean(),
    condition: fc.constantFrom('normal' as const, 'sensor_fault' as const, 'freeze_protect' as const, 'high_limit' as const, 'max_run_lockout' as const),
    room_c: fc.option(celsius, { nil: null }),
    pipe_c: fc.option(celsius, { nil: null }),
    setpoint_c: fc.option(setpoint, { nil: null }),
    override: fc.option(
      fc.record({ kind: fc.constantFrom('next_change' as const, 'permanent' as const, 'until' as const), setpoint_c: setpoint, until: fc.option(epoch, { nil: null }), set_at: epoch }),
      { nil: null },
    ),
    boost_until: fc.option(epoch, { nil: null }),
    fault: fc.option(text(200), { nil: null }),
    changed_at: epoch,
    updated_at: epoch,
  })
  .filter((z) => ZoneState.safeParse(z).success);

const systemState = fc
  .record({
    away: fc.boolean(),
    away_until: fc.option(epoch, { nil: null }),
    outdoor_c: fc.option(celsius, { nil: null }),
    boiler_firing: fc.boolean(),
    hardware: fc.constantFrom('sim' as const, 'pi' as const),
    time_zone: fc.constantFrom('America/Denver', 'UTC', 'Europe/Zürich'),
    alerts: fc.array(
      fc.record({
        id: fc.string({ minLength: 1, maxLength: 64 }),
        kind: fc.constantFrom('freeze_risk' as const, 'sensor_fault' as const, 'long_run' as const),
        zone: fc.option(fc.constantFrom('Z1', 'Z2'), { nil: null }),
        message: text(300),
        raised_at: epoch,
        acknowledged: fc.boolean(),
      }),
      { maxLength: 3 },
    ),
    updated_at: epoch,
  })
  .filter((s) => SystemState.safeParse(s).success);

/** The same value with the keys of every object in another order. */
function reorderKeys<T>(value: T, rand: () => number): T {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => reorderKeys(v, rand)) as T;
  const entries = Object.entries(value as Record<string, unknown>);
  for (let i = entries.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [entries[i], entries[j]] = [entries[j] as [string, unknown], entries[i] as [string, unknown]];
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, reorderKeys(v, rand)])) as T;
}

describe('zone and system state', () => {
  it('reads back the latest state of each zone and of the system, and digests as stateDigest over them, after a reopen', () => {
    let run = 0;
    fc.assert(
      fc.property(fc.array(fc.array(zoneState, { maxLength: 5 }), { maxLength: 5 }), fc.array(systemState, { maxLength: 3 }), fc.integer(), (calls, systems, seed) => {
        let s = seed;
        const rand = () => ((s = (Math.imul(s, 1103515245) + 12345) | 0) >>> 0) / 2 ** 32;
        const name = `run-${run++}.db`;
        let replica = files.openReplica(name);
        const latest = new Map<string, ZoneState>();
        for (const call of calls) {
          replica.applyZones(call.map((z) => reorderKeys(z, rand)));
          for (const z of call) latest.set(z.zone, z);
        }
        for (const sys of systems) replica.applySystem(reorderKeys(sys, rand));
        const system = systems[systems.length - 1] ?? null;
        replica.close();
        replica = files.openReplica(name);

        const zones = [...latest.values()];
        expect(replica.digest()).toBe(stateDigest(zones, system));
        // Same states, not only the same digest (canonical text, since toEqual tells -0 from 0).
        const byName = [...zones].sort((a, b) => (a.zone < b.zone ? -1 : 1));
        expect(replica.zones().map(canonicalJson)).toEqual(byName.map(canonicalJson));
        for (const z of zones) expect(canonicalJson(replica.zone(z.zone))).toBe(canonicalJson(z));
        expect(canonicalJson(replica.system())).toBe(canonicalJson(system));

        // A digest that ignored any of it would not move here.
        const first = zones[0];
        if (first !== undefined) {
          const changed = { ...first, output: !first.output };
          replica.applyZones([changed]);
          expect(replica.digest()).toBe(stateDigest([changed, ...zones.slice(1)], system));
          expect(replica.digest()).not.toBe(stateDigest(zones, system));
        }
      }),
      { numRuns: 150, seed: 42 },
    );
  }, 120_000);

  it('changes the digest for a temperature one ulp away, so nothing is rounded on the way through', () => {
    const replica = files.openReplica();
    const base: ZoneState = {
      zone: 'Z1',
      label: 'Kitchen',
      kind: 'heat',
      mode: 'AUTO',
      output: true,
      call_for_heat: false,
      condition: 'normal',
      room_c: 20.1,
      pipe_c: 41.7,
      setpoint_c: 21,
      override: null,
      boost_until: null,
      fault: null,
      changed_at: 1,
      updated_at: 2,
    };
    replica.applyZones([base]);
    const d = replica.digest();
    expect(d).toBe(stateDigest([base], null));
    const next = { ...base, room_c: 20.100000000000005 };
    expect(next.room_c).not.toBe(base.room_c);
    replica.applyZones([next]);
    expect(replica.digest()).toBe(stateDigest([next], null));
    expect(replica.digest()).not.toBe(d);
  });

  it('replaceZones forgets zones the snapshot no longer has; applyZones keeps them', () => {
    const replica = files.openReplica();
    const zone = (name: string, output: boolean): ZoneState => ({
      zone: name,
      label: name,
      kind: 'heat',
      mode: 'AUTO',
      output,
      call_for_heat: false,
      condition: 'normal',
      room_c: 20,
      pipe_c: null,
      setpoint_c: 21,
      override: null,
      boost_until: null,
      fault: null,
      changed_at: 0,
      updated_at: 0,
    });
    replica.applyZones([zone('Z1', false), zone('Z2', false), zone('Z3', false)]);
    replica.applyZones([zone('Z2', true)]);
    expect(replica.zones().map((z) => [z.zone, z.output])).toEqual([['Z1', false], ['Z2', true], ['Z3', false]]);
    replica.replaceZones([zone('Z1', true), zone('Z3', false)]);
    expect(replica.zones().map((z) => [z.zone, z.output])).toEqual([['Z1', true], ['Z3', false]]);
    expect(replica.zone('Z2')).toBeNull();
    expect(replica.digest()).toBe(stateDigest([zone('Z3', false), zone('Z1', true)], null));
    replica.replaceZones([]);
    expect(replica.zones()).toEqual([]);
  });

  it('knows no system state until one arrives, and no zone it was never told of', () => {
    const replica = files.openReplica();
    expect(replica.system()).toBeNull();
    expect(replica.zone('Z1')).toBeNull();
    expect(replica.zones()).toEqual([]);
    expect(replica.digest()).toBe(stateDigest([], null));
  });

  it('refuses a state its schema does not accept, writing nothing of the call', () => {
    const replica = files.openReplica();
    const good = { zone: 'Z1', label: '', kind: 'heat', mode: 'ON', output: true, call_for_heat: false, condition: 'normal', room_c: 20, pipe_c: null, setpoint_c: null, override: null, boost_until: null, fault: null, changed_at: 0, updated_at: 0 } as const;
    expect(() => replica.applyZones([good, { ...good, zone: 'Z2', room_c: 500 }])).toThrow(ValidationError);
    expect(replica.zones()).toEqual([]);
    expect(() => replica.applySystem({ away: 'no' } as unknown as SystemState)).toThrow(ValidationError);
    expect(replica.system()).toBeNull();
  });

  it('says which stored state is unreadable rather than returning it', () => {
    const replica = files.openReplica();
    files.raw().prepare(`INSERT INTO zone_states (zone, state, received_at) VALUES ('Z1', '{"zone":"Z1"}', 0)`).run();
    expect(() => replica.zones()).toThrow(CorruptReplicaRecordError);
    expect(() => replica.digest()).toThrow(/zone Z1/);
  });
});
