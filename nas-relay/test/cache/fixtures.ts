import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { type Redis } from 'ioredis';
import { createLogger, type Logger } from '@boiler/service';
import type { EventEntry, EventKind, SystemState, ZoneState } from '@boiler/shared';
import type { CacheState, RelayCache } from '../../src/cache/index.js';

export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

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
    pipe_c: 30,
    setpoint_c: 20,
    override: null,
    boost_until: null,
    fault: null,
    changed_at: 1_700_000_000_000,
    updated_at: 1_700_000_000_000,
    ...overrides,
  };
}

export function systemState(overrides: Partial<SystemState> = {}): SystemState {
  return {
    away: false,
    away_until: null,
    outdoor_c: -3,
    boiler_firing: true,
    hardware: 'sim',
    time_zone: 'America/Denver',
    alerts: [],
    updated_at: 1_700_000_000_000,
    ...overrides,
  };
}

export function eventEntry(seq: number, zone: string | null = 'Z1', event: EventKind = 'SAMPLE'): EventEntry {
  return {
    seq,
    ts: 1_700_000_000_000 + seq * 1000,
    source: event === 'SAMPLE' ? 'sampler' : 'control',
    zone,
    event,
    room_c: 19,
    pipe_c: null,
    outdoor_c: null,
    duration_s: null,
    detail: null,
  };
}

/** A pino logger whose lines the test can read back. */
export function captureLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    name: 'cache-test',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  });
  return { log, lines };
}

/** A loader that counts its calls. */
export function countingLoader<T>(value: T): { load: () => T; calls: () => number } {
  let calls = 0;
  return {
    load: () => {
      calls++;
      return value;
    },
    calls: () => calls,
  };
}

/** Resolves once the cache reports `state` (at once if it already does). */
export async function waitForState(cache: RelayCache, state: CacheState): Promise<void> {
  if (cache.status().state === state) return;
  await new Promise<void>((resolve) => {
    const listener = (s: CacheState): void => {
      if (s !== state) return;
      cache.off('state', listener);
      resolve();
    };
    cache.on('state', listener);
  });
}

/** Polls `check` every `everyMs` until it holds; rejects after `withinMs`. */
export async function pollUntil(check: () => Promise<boolean>, what: string, everyMs = 20, withinMs = 10_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** Deletes every key under `prefix` in the shared Redis. */
export async function deletePrefix(raw: Redis, prefix: string): Promise<void> {
  const keys = await raw.keys(`${prefix}*`);
  if (keys.length > 0) await raw.del(...keys);
}

/** A TCP port nobody listens on (just now). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  server.close();
  await once(server, 'close');
  return address.port;
}

/** A throwaway redis-server on `port`, for killing. */
export class RedisServerProcess {
  private child: ChildProcess | null = null;

  constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts redis-server and resolves once it accepts connections. */
  async start(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    let output = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          child.stdout?.off('data', onData);
          child.stdout?.resume();
          resolve();
        }
      };
      child.stdout?.on('data', onData);
      child.stderr?.resume();
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}) before it was ready: ${output}`)));
      child.once('error', reject);
    });
  }

  /** Sends `signal` (SIGKILL by default); for SIGKILL resolves once the process is gone. */
  async signal(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    if (signal !== 'SIGKILL' && signal !== 'SIGTERM') {
      child.kill(signal);
      return;
    }
    const exited = once(child, 'exit');
    child.kill(signal);
    await exited;
    this.child = null;
  }

  async stop(): Promise<void> {
    if (this.child !== null) this.child.kill('SIGCONT');
    await this.signal('SIGKILL');
  }
}
