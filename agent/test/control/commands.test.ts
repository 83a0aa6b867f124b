import { describe, it, expect } from 'vitest';
import { CommandBody } from '@boiler/shared';
import { applyCommand, type RefusalCode } from '../../src/control/index.js';
import { configOf, everyDay, heatZone, ok, onOffZone, readingsOf, Rig, EMPTY_WEEK, WED_10AM } from './rig.js';

const config = configOf([heatZone('Z1', { high_limit_c: 26 }), heatZone('Z2', { thermostat_input: undefined }), onOffZone('W')]);
const heatWeek = everyDay([{ at: '06:00', setpoint_c: 21 }]);
const onOffWeek = everyDay([{ at: '06:00', on: true }]);

function refusal(body: unknown, prepare?: (rig: Rig) => void): RefusalCode | 'accepted' {
  const rig = new Rig(config);
  prepare?.(rig);
  const result = rig.command(CommandBody.parse(body));
  return result.ok ? 'accepted' : result.error.code;
}

describe('command refusals', () => {
  it.each([
    ['an unknown zone', { type: 'zone_mode', zone: 'Z99', mode: 'ON' }, 'unknown_zone'],
    ['THERMOSTAT without a thermostat input', { type: 'zone_mode', zone: 'Z2', mode: 'THERMOSTAT' }, 'no_thermostat'],
    ['a setpoint on an on/off zone', { type: 'setpoint', zone: 'W', setpoint_c: 20, override: 'permanent' }, 'not_heat_zone'],
    ['until missing', { type: 'setpoint', zone: 'Z1', setpoint_c: 20, override: 'until' }, 'until_required'],
    ['until now', { type: 'setpoint', zone: 'Z1', setpoint_c: 20, override: 'until', until: WED_10AM }, 'until_in_past'],
    ['until in the past', { type: 'setpoint', zone: 'Z1', setpoint_c: 20, override: 'until', until: WED_10AM - 1 }, 'until_in_past'],
    ['until on a permanent override', { type: 'setpoint', zone: 'Z1', setpoint_c: 20, override: 'permanent', until: WED_10AM + 1000 }, 'until_not_allowed'],
    ['away until the past', { type: 'away', until: WED_10AM - 60_000 }, 'until_in_past'],
    ['a boost on an unknown zone', { type: 'boost', zone: 'nope', minutes: 10 }, 'unknown_zone'],
    ['on/off entries for a heat zone', { type: 'schedule_set', zone: 'Z1', schedule: onOffWeek }, 'schedule_kind_mismatch'],
    ['setpoint entries for an on/off zone', { type: 'schedule_set', zone: 'W', schedule: heatWeek }, 'schedule_kind_mismatch'],
    ['an unknown preset', { type: 'preset_apply', name: 'Ski week', zones: ['Z1'] }, 'unknown_preset'],
    ['deleting an unknown preset', { type: 'preset_delete', name: 'Ski week' }, 'unknown_preset'],
    ['an unknown alert', { type: 'alert_ack', alert_id: 'sensor_fault:Z1' }, 'unknown_alert'],
  ])('refuses %s', (_what, body, code) => {
    expect(refusal(body)).toBe(code);
  });

  it('refuses a setpoint or a boost outside AUTO', () => {
    const inOff = (rig: Rig) => rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    expect(refusal({ type: 'setpoint', zone: 'Z1', setpoint_c: 20, override: 'permanent' }, inOff)).toBe('mode_not_auto');
    expect(refusal({ type: 'boost', zone: 'Z1', minutes: 10 }, inOff)).toBe('mode_not_auto');
  });

  it('refuses a preset that does not suit one of its zones, changing none of them', () => {
    const rig = new Rig(config);
    rig.do({ type: 'preset_save', name: 'Warm', schedule: heatWeek });
    const before = rig.state;
    const result = rig.command({ type: 'preset_apply', name: 'Warm', zones: ['Z1', 'W'] });
    expect(result.ok ? 'accepted' : result.error.code).toBe('schedule_kind_mismatch');
    expect(rig.state).toBe(before);
  });

  it('refuses a preset naming an unknown zone', () => {
    const rig = new Rig(config);
    rig.do({ type: 'preset_save', name: 'Warm', schedule: heatWeek });
    const result = rig.command({ type: 'preset_apply', name: 'Warm', zones: ['Z1', 'Z42'] });
    expect(result.ok ? 'accepted' : result.error).toEqual({ code: 'unknown_zone', message: 'no zone named "Z42"' });
  });

  it('leaves the state untouched when refusing', () => {
    const rig = new Rig(config);
    const before = structuredClone(rig.state);
    applyCommand(config, rig.state, { type: 'setpoint', zone: 'W', setpoint_c: 20, override: 'permanent' }, rig.now());
    expect(rig.state).toEqual(before);
  });
});

describe('commands that succeed', () => {
  it('describe themselves in a COMMAND event', () => {
    const rig = new Rig(config);
    const result = rig.command({ type: 'setpoint', zone: 'Z1', setpoint_c: 22.5, override: 'until', until: WED_10AM + 3_600_000 });
    if (!result.ok) throw new Error(result.error.message);
    expect(result.event).toMatchObject({ event: 'COMMAND', source: 'command', zone: 'Z1', ts: WED_10AM });
    expect(result.event.detail).toBe('Z1 setpoint 22.5 °C until 2026-01-14T18:00:00.000Z');
    expect(rig.zone('Z1').override).toMatchObject({ kind: 'until', setpoint_c: 22.5, until: WED_10AM + 3_600_000, set_at: WED_10AM });
  });

  it('set, apply and delete presets', () => {
    const rig = new Rig(config);
    rig.do({ type: 'preset_save', name: 'Ski week', schedule: heatWeek });
    rig.do({ type: 'preset_save', name: 'Ski week', schedule: everyDay([{ at: '07:00', setpoint_c: 19 }]) });
    expect(rig.state.presets.map((p) => [p.name, p.schedule.mon[0]?.at])).toEqual([['Ski week', '07:00']]);
    rig.do({ type: 'preset_apply', name: 'Ski week', zones: ['Z1', 'Z2'] });
    expect(rig.zone('Z1').schedule?.mon).toEqual([{ at: '07:00', setpoint_c: 19 }]);
    expect(rig.zone('Z2').schedule?.mon).toEqual([{ at: '07:00', setpoint_c: 19 }]);
    rig.do({ type: 'preset_delete', name: 'Ski week' });
    expect(rig.state.presets).toEqual([]);
  });

  it('set the default schedule and a zone schedule; an empty week goes back to the default', () => {
    const rig = new Rig(config);
    rig.do({ type: 'schedule_set', zone: 'default', schedule: everyDay([{ at: '00:00', setpoint_c: 15 }]) });
    rig.tick(readingsOf({ Z1: { room: ok(17) }, Z2: { room: ok(17) } }));
    expect(rig.output('valve-Z1')).toBe(false);
    rig.do({ type: 'schedule_set', zone: 'Z1', schedule: heatWeek });
    rig.advance(10);
    rig.tick(readingsOf({ Z1: { room: ok(17) }, Z2: { room: ok(17) } }));
    expect(rig.output('valve-Z1')).toBe(true);
    rig.do({ type: 'schedule_set', zone: 'Z1', schedule: EMPTY_WEEK });
    expect(rig.zone('Z1').schedule).toBeNull();
  });

  it('never bypass safety: mode ON on a zone over its high limit stays off', () => {
    const rig = new Rig(config);
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'ON' });
    rig.do({ type: 'boost', zone: 'Z2', minutes: 30 });
    rig.tick(readingsOf({ Z1: { room: ok(26) }, Z2: { room: ok(33) } }));
    expect(rig.output('valve-Z1')).toBe(false);
    expect(rig.output('valve-Z2')).toBe(false); // 33 °C is over Z2's default 30 °C limit
  });

  it('never bypass freeze protection: mode OFF on a freezing zone still heats', () => {
    const rig = new Rig(config);
    rig.do({ type: 'zone_mode', zone: 'Z1', mode: 'OFF' });
    rig.tick(readingsOf({ Z1: { room: ok(3) } }));
    expect(rig.output('valve-Z1')).toBe(true);
  });
});

describe('acknowledging an alert', () => {
  it('marks a lasting alert acknowledged and removes a state_reset, which nothing else would clear', () => {
    const rig = new Rig(configOf([heatZone('Z1')]));
    const raised_at = rig.wall;
    rig.state = {
      ...rig.state,
      alerts: [
        { id: 'state_reset', kind: 'state_reset', zone: null, message: 'saved state unreadable', raised_at, acknowledged: false },
        { id: 'sensor_fault:Z1', kind: 'sensor_fault', zone: 'Z1', message: 'room sensor crc', raised_at, acknowledged: false },
      ],
    };
    rig.do({ type: 'alert_ack', alert_id: 'sensor_fault:Z1' });
    rig.do({ type: 'alert_ack', alert_id: 'state_reset' });
    expect(rig.state.alerts.map((a) => [a.id, a.acknowledged])).toEqual([['sensor_fault:Z1', true]]);
  });
});
