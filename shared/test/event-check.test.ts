import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { nodeCompression } from '../../service/src/gzip.js';
import { Codec, EventEntry, Message, checkEventEntry, checkEventEntries, parseEventCarrier, type MessageType } from '../src/index.js';
import { eventEntry, messageOf } from './arbitraries.js';

/** Values at and just past every bound of the schema, and of the wrong kinds. */
const EDGES: unknown[] = [
  null,
  0,
  -0,
  -1,
  0.5,
  1,
  -55,
  -55.0001,
  125,
  125.0001,
  2 ** 53 - 1,
  2 ** 53,
  8_640_000_000_000_000,
  8_640_000_000_000_001,
  1e308,
  '',
  'Z1',
  'ON',
  'COMMAND',
  'control',
  'z_9-A',
  'Z-1_a',
  'Z 1',
  'Ω',
  'x'.repeat(32),
  'x'.repeat(33),
  'x'.repeat(500),
  'x'.repeat(501),
  'SAMPLE',
  'sampler',
  'sample',
  true,
  [],
  {},
  ['Z1'],
];

/** Values a hostile or broken peer might put in any field, beside the valid ones. */
const oddValue = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 40 }),
  fc.jsonValue({ maxDepth: 2 }),
);

const FIELDS = Object.keys(EventEntry.shape);

/** A valid entry changed in one way: a field set to an odd value, a field dropped, or a key added. */
const mutatedEntry = fc.tuple(eventEntry(7), fc.nat({ max: 2 }), fc.constantFrom(...FIELDS), oddValue, fc.constantFrom('extra', '__proto__', 'constructor', 'Seq')).map(([e, how, field, value, key]) => {
  const text = JSON.stringify(e);
  // Through JSON text, as a frame's payload arrives: an own "__proto__" key survives only that way.
  const copy: Record<string, unknown> = JSON.parse(text);
  if (how === 0) {
    copy[field] = value;
    return JSON.parse(JSON.stringify(copy)) as unknown;
  }
  if (how === 1) {
    delete copy[field];
    return copy;
  }
  return JSON.parse(text.replace(/^\{/, `{"${key}":1,`)) as unknown;
});

/** The JSON text of a value with keys in the order they stand (what a peer sees of the output). */
const asSent = (v: unknown) => JSON.stringify(v);

describe('checkEventEntry, the fast path for pages of events', () => {
  it('accepts every valid entry, giving what zod gives: the same fields, in the schema order', () => {
    fc.assert(
      fc.property(eventEntry(42), fc.boolean(), (e, dropSetpoint) => {
        const input: Record<string, unknown> = JSON.parse(JSON.stringify(e));
        if (dropSetpoint) delete input.setpoint_c; // exactOptional: absent is allowed, and stays absent
        // Keys in another order than the schema's, as another encoder might send them.
        const shuffled = Object.fromEntries(Object.entries(input).reverse());
        const fast = checkEventEntry(shuffled);
        const zod = EventEntry.parse(shuffled);
        expect(fast).not.toBeNull();
        expect(asSent(fast)).toBe(asSent(zod));
        expect(Object.hasOwn(fast as object, 'setpoint_c')).toBe(!dropSetpoint);
      }),
      { numRuns: 500 },
    );
  });

  it('agrees with zod at every bound: each field set to each edge value', () => {
    const base: Record<string, unknown> = { seq: 9, ts: 1_700_000_000_000, source: 'sampler', zone: 'Z1', event: 'SAMPLE', room_c: 20.5, pipe_c: 41, outdoor_c: -3, setpoint_c: 20, duration_s: 5, detail: 'on' };
    let accepted = 0;
    for (const field of FIELDS) {
      for (const value of EDGES) {
        const input = JSON.parse(JSON.stringify({ ...base, [field]: value })) as unknown;
        const zod = EventEntry.safeParse(input);
        const fast = checkEventEntry(input);
        expect(fast === null ? 'refused' : asSent(fast), `${field} = ${JSON.stringify(value)}`).toBe(zod.success ? asSent(zod.data) : 'refused');
        if (zod.success) accepted++;
      }
    }
    expect(accepted).toBeGreaterThan(20); // the table holds values on both sides of the bounds
  });

  it('agrees with zod on entries changed in one way: never accepts what zod refuses, and takes what zod takes', () => {
    fc.assert(
      fc.property(mutatedEntry, (input) => {
        const zod = EventEntry.safeParse(input);
        const fast = checkEventEntry(input);
        if (zod.success) expect(asSent(fast)).toBe(asSent(zod.data));
        else expect(fast).toBeNull();
      }),
      { numRuns: 3000 },
    );
  });

  it('refuses what JSON cannot carry but a caller might pass: NaN, infinities, undefined, class instances', () => {
    const valid = EventEntry.parse({ seq: 1, ts: 1, source: 'sampler', zone: 'Z1', event: 'SAMPLE', room_c: 20, pipe_c: 30, outdoor_c: 0, duration_s: null, detail: 'on' });
    for (const [field, value] of [
      ['room_c', NaN],
      ['pipe_c', Infinity],
      ['outdoor_c', -Infinity],
      ['setpoint_c', undefined],
      ['duration_s', undefined],
      ['ts', NaN],
    ] as const) {
      const input = { ...valid, [field]: value };
      expect(EventEntry.safeParse(input).success, field).toBe(false);
      expect(checkEventEntry(input), field).toBeNull();
    }
    expect(checkEventEntry(new Date())).toBeNull();
    expect(checkEventEntry([valid])).toBeNull();
    expect(checkEventEntry(null)).toBeNull();
  });

  it('checks a page whole: one entry in doubt and the page goes to zod', () => {
    const page = Array.from({ length: 5 }, (_, i) => ({ seq: i + 1, ts: 1000 + i, source: 'sampler', zone: 'Z1', event: 'SAMPLE', room_c: 20, pipe_c: null, outdoor_c: null, duration_s: null, detail: 'on' }));
    expect(checkEventEntries(page)).toHaveLength(5);
    expect(checkEventEntries([...page, { ...page[0], room_c: 200 }])).toBeNull();
  });
});

describe('parseEventCarrier, the frames that carry events', () => {
  const carriers: MessageType[] = ['event_log_entry', 'full_sync_response'];
  for (const type of carriers) {
    it(`parses every valid ${type} as Message does`, () => {
      fc.assert(
        fc.property(messageOf(type), (m) => {
          const envelope: Record<string, unknown> = JSON.parse(JSON.stringify(m));
          const fast = parseEventCarrier(envelope);
          expect(fast).not.toBeNull();
          expect(asSent(fast)).toBe(asSent(Message.parse(envelope)));
        }),
        { numRuns: 200 },
      );
    });
  }

  it('never accepts an envelope or page Message refuses (fields changed, dropped or added at every level)', () => {
    const paths: (string | number)[][] = [['v'], ['ts'], ['seq'], ['id'], ['type'], ['payload'], ['payload', 'first_seq'], ['payload', 'last_seq'], ['payload', 'page'], ['payload', 'done'], ['payload', 'snapshot'], ['payload', 'events'], ['payload', 'events', 0], ['payload', 'extra'], ['extra']];
    fc.assert(
      fc.property(fc.constantFrom(...carriers).chain(messageOf), fc.constantFrom(...paths), fc.oneof(oddValue, fc.constant(undefined)), (m, path, value) => {
        const envelope: Record<string, unknown> = JSON.parse(JSON.stringify(m));
        let at: Record<string | number, unknown> = envelope;
        for (const key of path.slice(0, -1)) {
          if (typeof at[key] !== 'object' || at[key] === null) return;
          at = at[key] as Record<string | number, unknown>;
        }
        const last = path[path.length - 1] as string | number;
        if (value === undefined) delete at[last];
        else at[last] = value;
        const zod = Message.safeParse(envelope);
        const fast = parseEventCarrier(envelope);
        if (fast !== null) {
          expect(zod.success).toBe(true);
          expect(asSent(fast)).toBe(asSent(zod.data));
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('leaves other types to Message', () => {
    fc.assert(
      fc.property(fc.constantFrom<MessageType>('heartbeat', 'zone_state_update', 'ack', 'command_response').chain(messageOf), (m) => {
        expect(parseEventCarrier(JSON.parse(JSON.stringify(m)))).toBeNull();
      }),
      { numRuns: 50 },
    );
  });

  it('the codec still words a bad event as zod does (the fast path only ever says yes)', () => {
    const codec = new Codec(nodeCompression);
    const e = { seq: 3, ts: 1, source: 'sampler', zone: 'Z1', event: 'SAMPLE', room_c: 300, pipe_c: null, outdoor_c: null, duration_s: null, detail: 'on' };
    const frame = codec.encode({ v: 2, type: 'event_log_entry', ts: 1, payload: { first_seq: 3, last_seq: 3, events: [e] } } as unknown as Message);
    const d = codec.decode(frame);
    expect(d.ok).toBe(false);
    if (d.ok) return;
    expect(d.error.code).toBe('invalid_field');
    expect(d.error.message).toContain('room_c');
  });
});
