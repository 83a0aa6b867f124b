import { describe, expect, it } from 'vitest';
import { filterQuery, siteDateStart } from '../../../src/renderer/src/stores/events.js';
import { commandText, eventText, outcome, sender } from '../../../src/renderer/src/components/events/describe.js';
import type { CommandRecord } from '../../../src/renderer/src/backend/command-record.js';

const DENVER = 'America/Denver';

describe('the events filter as the read API’s query', () => {
  it('turns site dates into [first day’s start, the day after the last’s start), across a daylight-saving change', () => {
    // Denver falls back on 2026-11-01: that day is 25 hours long.
    const q = filterQuery({ zone: 'Z3', kinds: 'ON,OFF', fromDate: '2026-11-01', toDate: '2026-11-01' }, DENVER);
    expect(q).toEqual({ zone: 'Z3', event: 'ON,OFF', from: Date.UTC(2026, 10, 1, 6), to: Date.UTC(2026, 10, 2, 7) });
    expect((q.to as number) - (q.from as number)).toBe(25 * 3600_000);
    // Open ends and every kind: nothing set.
    expect(filterQuery({ zone: '', kinds: '', fromDate: '', toDate: '' }, DENVER)).toEqual({});
    // The last day of a month rolls over.
    expect(siteDateStart('2026-12-31', 'UTC', true)).toBe(Date.UTC(2027, 0, 1));
    expect(siteDateStart('not a date', DENVER)).toBeNull();
  });
});

describe('events and commands in words', () => {
  const base: CommandRecord = {
    id: '0b8f3b4e-7a40-4c59-9f0e-6f2d7f1c2a11',
    body: { type: 'setpoint', zone: 'Z2', setpoint_c: 21.5, override: 'next_change' },
    client: 'api-key@10.0.0.7',
    issued_by: null,
    state: 'succeeded',
    attempts: 1,
    created_at: 1,
    accepted_at: 1,
    finished_at: 2,
    last_error: null,
    result: null,
  };

  it('says who sent a command and how it ended, with the reason when it did not succeed', () => {
    expect(sender(base)).toBe('api-key@10.0.0.7');
    expect(sender({ ...base, issued_by: 'kiosk' })).toBe('kiosk (api-key@10.0.0.7)');
    expect(outcome(base)).toBe('succeeded');
    expect(outcome({ ...base, state: 'failed', result: { id: base.id, outcome: 'failed', error: { code: 'mode_not_auto', message: 'Z2 is not in AUTO' }, seq: null, finished_at: 2 } })).toBe('failed: Z2 is not in AUTO');
    expect(outcome({ ...base, state: 'dead', last_error: { code: 'timeout', message: 'no answer in 30 s' } })).toBe('dead: no answer in 30 s');
    expect(outcome({ ...base, state: 'queued' })).toBe('queued');
  });

  it('names a command’s values, temperatures in the owner’s unit', () => {
    expect(commandText(base.body, 'F')).toBe('setpoint · Z2 · setpoint 71 °F · override next_change');
    expect(commandText(base.body, 'C')).toBe('setpoint · Z2 · setpoint 21.5 °C · override next_change');
    expect(commandText({ type: 'zone_mode', zone: 'Z3', mode: 'OFF' }, 'F')).toBe('zone mode · Z3 · mode OFF');
  });

  it('says how long a run lasted on OFF, and a sample’s output', () => {
    const e = { seq: 1, ts: 0, source: 'control', zone: 'Z1', room_c: null, pipe_c: null, outdoor_c: null, setpoint_c: null, detail: 'schedule' } as const;
    expect(eventText({ ...e, event: 'OFF', duration_s: 3900 })).toBe('ran 1 h 05 min · schedule');
    expect(eventText({ ...e, event: 'SAMPLE', duration_s: null, detail: 'on' })).toBe('output on');
  });
});
