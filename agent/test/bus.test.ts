import { describe, it, expect } from 'vitest';
import { createLogger } from '@boiler/service';
import type { EventEntry } from '@boiler/shared';
import { AgentBus } from '../src/bus.js';

const event = (seq: number): EventEntry => ({
  seq,
  ts: 1_000 + seq,
  source: 'system',
  zone: null,
  event: 'ALERT',
  room_c: null,
  pipe_c: null,
  outdoor_c: null,
  duration_s: null,
  detail: null,
});

function loggedBus(): { bus: AgentBus; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({ name: 'test', level: 'info', destination: { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) } });
  return { bus: new AgentBus(log), lines };
}

class LinkStandIn {}
class FailingListener {}

describe('the agent bus', () => {
  it('logs a listener that throws, and the listeners after it still hear the event', () => {
    const { bus, lines } = loggedBus();
    const heard: number[][] = [];
    bus.on('events', new LinkStandIn(), (events) => heard.push(events.map((e) => e.seq)));
    bus.on('events', new FailingListener(), () => {
      throw new Error('replica write failed');
    });
    bus.on('events', new LinkStandIn(), (events) => heard.push(events.map((e) => e.seq)));

    expect(() => bus.emit('events', [event(1), event(2)])).not.toThrow();

    expect(heard).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 50, msg: 'a bus listener failed; the others still heard the event', event: 'events', listener: 'FailingListener' });
    expect((lines[0]?.err as { message?: string } | undefined)?.message).toBe('replica write failed');
  });

  it('removes every listener of an owner, and only those', () => {
    const { bus, lines } = loggedBus();
    const stopping = new LinkStandIn();
    const staying = new LinkStandIn();
    const heard: string[] = [];
    bus.on('events', stopping, () => heard.push('stopping'));
    bus.on('events', staying, () => heard.push('staying'));
    bus.removeAll(stopping);
    bus.emit('events', [event(3)]);
    expect(heard).toEqual(['staying']);
    expect(lines).toEqual([]);
  });
});
