import { describe, it, expect, afterEach, beforeEach, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger } from '@boiler/service';
import { Agent, type AgentOptions } from '../src/agent.js';
import { AgentBus } from '../src/bus.js';
import { ZonesFile } from '../src/zones.js';
import { SimulatedHouse } from '../src/hardware/simulator/index.js';
import { nodeIntervalTimer } from '../src/hardware/types.js';
import type { EngineConfig } from '../src/control/index.js';
import { useTempFiles } from './store/temp-store.js';

// The running agent's control loop: started by start() through the injected timer, a tick at once
// and then one per period, ended by stop(). On vitest's fake timers, so no test waits real time.

const TZ = 'America/Denver';
const zonesFile = ZonesFile.parse(JSON.parse(readFileSync(join(import.meta.dirname, '..', 'zones.json'), 'utf8')));
const config: EngineConfig = { ...zonesFile, time_zone: TZ };
const files = useTempFiles();

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

function agentWith(options: Partial<AgentOptions>): { agent: Agent; fed: () => number } {
  const house = new SimulatedHouse(zonesFile, { timeZone: TZ, startWall: Date.UTC(2026, 0, 14, 17, 0), seed: 3 });
  let fed = 0;
  const agent = new Agent(
    config,
    files.openStore(),
    { kind: 'sim', relays: house.relays, inputs: house.inputs, sensors: house.sensors, clock: house.clock },
    new AgentBus(),
    createLogger({ name: 'test', level: 'silent' }),
    options,
    () => fed++,
  );
  return { agent, fed: () => fed };
}

describe('the control loop', () => {
  it('ticks once at start, then once each period on the injected timer, each tick a sign of life', async () => {
    const { agent, fed } = agentWith({ loop: { everyMs: 1000, timer: nodeIntervalTimer } });
    agent.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(agent.ticks).toBe(1);
    await vi.advanceTimersByTimeAsync(999);
    expect(agent.ticks).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(agent.ticks).toBe(2);
    await vi.advanceTimersByTimeAsync(3000);
    expect(agent.ticks).toBe(5);
    expect(fed()).toBe(5);
    agent.stop();
  });

  it('stops with stop(): no timer left, no tick after', async () => {
    const { agent } = agentWith({ loop: { everyMs: 200, timer: nodeIntervalTimer } });
    agent.start();
    await vi.advanceTimersByTimeAsync(1000);
    const ticks = agent.ticks;
    expect(ticks).toBe(6);
    agent.stop();
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(agent.ticks).toBe(ticks);
  });

  it('runs on the timer it is given, at the period it is given', () => {
    const intervals: number[] = [];
    let cleared: unknown = null;
    const handle = Symbol('loop');
    const { agent } = agentWith({
      loop: {
        everyMs: 125,
        timer: {
          setInterval: (_tick, ms) => {
            intervals.push(ms);
            return handle;
          },
          clearInterval: (h) => {
            cleared = h;
          },
        },
      },
    });
    agent.start();
    expect(intervals).toEqual([125]);
    agent.stop();
    expect(cleared).toBe(handle);
  });

  it('without a loop (the default) start() leaves the ticking to the caller', async () => {
    const { agent } = agentWith({});
    agent.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(agent.ticks).toBe(0);
    await agent.tick();
    expect(agent.ticks).toBe(1);
    agent.stop();
  });
});
