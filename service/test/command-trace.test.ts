import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { COMMAND_STAGE_MSG, createLogger, monotonicMicros, traceCommand } from '../src/index.js';

/** A logger whose lines are collected, parsed, at the given level. */
function collectingLogger(level: 'info' | 'trace') {
  const lines: Record<string, unknown>[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString().split('\n')) if (text !== '') lines.push(JSON.parse(text) as Record<string, unknown>);
      done();
    },
  });
  return { log: createLogger({ name: 'test', level, destination }), lines };
}

describe('command stage trace', () => {
  it('writes a stage line with a monotonic stamp at trace level, the given stamp when there is one', () => {
    const { log, lines } = collectingLogger('trace');
    const before = monotonicMicros();
    traceCommand(log, 'c-1', 'stored');
    traceCommand(log, 'c-1', 'received', 42);
    const stored = lines.find((l) => l.stage === 'stored');
    expect(stored).toMatchObject({ msg: COMMAND_STAGE_MSG, id: 'c-1' });
    expect(stored?.at_us).toBeGreaterThanOrEqual(before);
    expect(stored?.at_us).toBeLessThanOrEqual(monotonicMicros());
    expect(lines.find((l) => l.stage === 'received')?.at_us).toBe(42);
  });

  it('writes nothing below trace level', () => {
    const { log, lines } = collectingLogger('info');
    traceCommand(log, 'c-1', 'stored');
    log.info('a line that is written');
    expect(lines.map((l) => l.msg)).toEqual(['a line that is written']);
  });
});
