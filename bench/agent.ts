import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZonesFile } from '../agent/src/zones.js';
import { SimulatedHouse } from '../agent/src/hardware/simulator/index.js';
import { initialState, tick, type EngineConfig, type Readings } from '../agent/src/control/index.js';
import { startProcess, stopProcess } from '../test/support/processes.js';
import type { BenchRow } from './table.js';

const root = join(import.meta.dirname, '..');
const zonesFile = ZonesFile.parse(JSON.parse(readFileSync(join(root, 'agent', 'zones.json'), 'utf8')));

/** Engine ticks per second for the 14-zone reference house, on readings from the simulator. */
export async function benchEngine(): Promise<BenchRow[]> {
  const config: EngineConfig = { ...zonesFile, time_zone: 'America/Denver' };
  const start = Date.UTC(2026, 0, 12, 7, 0);
  const house = new SimulatedHouse(zonesFile, { timeZone: 'America/Denver', startWall: start, seed: 3 });
  const ids = zonesFile.zones.flatMap((z) => [z.room_sensor, z.pipe_sensor]).filter((x): x is string => x !== undefined);
  const all = await house.sensors.readAll([...ids, zonesFile.outdoor_sensor ?? '']);
  const zones = new Map(
    zonesFile.zones.map((z) => [
      z.name,
      { room: z.room_sensor === undefined ? undefined : all.get(z.room_sensor), pipe: z.pipe_sensor === undefined ? undefined : all.get(z.pipe_sensor), call_for_heat: false },
    ]),
  );
  const readings: Readings = { zones, outdoor: all.get(zonesFile.outdoor_sensor ?? '') };
  let state = initialState(config, { wall: start, mono: 0 });
  let mono = 0;
  const n = 20_000;
  // Warm up, then time n ticks one simulated second apart (the real loop's pace).
  for (let i = 0; i < 2000; i++) state = tick(config, state, readings, { wall: start + (mono += 1000), mono }).state;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) state = tick(config, state, readings, { wall: start + (mono += 1000), mono }).state;
  const perSecond = (n * 1000) / (performance.now() - t0);
  return [
    {
      suite: 'agent',
      name: 'engine ticks, 14 zones',
      value: perSecond,
      unit: 'ticks/s',
      target: { text: 'loop < 1 % of a core at 1 tick/s', met: 1 / perSecond < 0.01 },
    },
  ];
}

/** The node flags and environment build/boiler-agent.service runs the agent with (a small young generation, few malloc arenas). */
const DEPLOYED_NODE_ARGS = ['--max-semi-space-size=1', '--v8-pool-size=1'];
const DEPLOYED_ENV = { MALLOC_ARENA_MAX: '2' };

function rssOf(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 'NaN');
  return kb * 1024;
}

function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of stat (11 and 12 after the command name).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** An idle Node process with ws and better-sqlite3 loaded: the floor for the agent's memory and CPU. */
async function startIdleFloor(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [...DEPLOYED_NODE_ARGS, '-e', "require('ws'); new (require('better-sqlite3'))(':memory:'); console.log('ready'); setInterval(() => {}, 1000)"], {
    cwd: join(root, 'agent'),
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...DEPLOYED_ENV },
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the idle floor process exited ${code}`)));
  });
  return child;
}

interface AgentWindow {
  rss: number;
  cpuShare: number;
  floorRss: number;
  floorCpuShare: number;
}

/**
 * The agent process (the esbuild bundle on plain node, with the deployed flags, as it runs on the
 * Pi) on the simulator at `speed`, beside the idle floor process, both watched over the same
 * `seconds` of real time after a few seconds to settle: RSS at the end, and CPU over the window.
 */
async function watchAgent(speed: number, seconds: number): Promise<AgentWindow> {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-agent-'));
  execFileSync('npm', ['run', '--silent', 'build:agent'], { cwd: root, stdio: 'ignore' });
  const floor = await startIdleFloor();
  const agent = startProcess(
    'agent/dist/main.mjs',
    { DB_PATH: join(dir, 'agent.db'), WS_PORT: '0', SIM_SPEED: String(speed), LOG_LEVEL: 'warn', SHARED_SECRET: 'bench-secret-0123456789', ...DEPLOYED_ENV },
    DEPLOYED_NODE_ARGS,
  );
  try {
    await new Promise((r) => setTimeout(r, 3000));
    const pid = agent.proc.pid as number;
    const floorPid = floor.pid as number;
    const cpu0 = cpuSecondsOf(pid);
    const floorCpu0 = cpuSecondsOf(floorPid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const elapsed = (performance.now() - t0) / 1000;
    return {
      cpuShare: (cpuSecondsOf(pid) - cpu0) / elapsed,
      floorCpuShare: (cpuSecondsOf(floorPid) - floorCpu0) / elapsed,
      rss: rssOf(pid),
      floorRss: rssOf(floorPid),
    };
  } finally {
    floor.kill('SIGKILL');
    await stopProcess(agent);
    rmSync(dir, { recursive: true, force: true });
  }
}

const mib = (b: number) => b / 1024 / 1024;
const FLOOR_RSS = 'idle node + ws + sqlite MiB';
const FLOOR_CPU = 'idle node + ws + sqlite, same window %';

/**
 * The agent at 60x for one real minute (an hour of simulated time): its RSS afterwards, and the
 * CPU it used, beside the idle Node floor. Its CPU has no verdict: at 60x the loop ticks every
 * 83 ms (12 a second, not 60) while the per-minute work runs 60 times as often, so no fixed
 * fraction of it is the real-time cost; the target is read at SIM_SPEED 1 (agent-real-time).
 */
export async function benchAgentIdle(seconds = 60): Promise<BenchRow[]> {
  const w = await watchAgent(60, seconds);
  return [
    {
      suite: 'agent',
      name: `idle RSS after ${seconds} s at SIM_SPEED 60`,
      value: mib(w.rss),
      unit: 'MiB',
      floor: { name: FLOOR_RSS, value: mib(w.floorRss) },
      target: { text: '≤ 80 MiB', met: mib(w.rss) <= 80 },
    },
    {
      suite: 'agent',
      name: 'agent CPU at SIM_SPEED 60 (no target: read at SIM_SPEED 1)',
      value: w.cpuShare * 100,
      unit: '% of a core',
      floor: { name: FLOOR_CPU, value: w.floorCpuShare * 100 },
    },
  ];
}

/**
 * The agent at real time (SIM_SPEED 1, a tick a second, a sample a minute per zone) for
 * `seconds` (90 by default: a minute and a half holds every per-minute write at least once and
 * 90 ticks, and keeps the bench short): RSS at the end and whole-process CPU over the window,
 * an upper bound on the control loop's share.
 */
export async function benchAgentRealTime(seconds = 90): Promise<BenchRow[]> {
  const w = await watchAgent(1, seconds);
  return [
    {
      suite: 'agent',
      name: `idle RSS after ${seconds} s at SIM_SPEED 1 (real time), 14 zones`,
      value: mib(w.rss),
      unit: 'MiB',
      floor: { name: FLOOR_RSS, value: mib(w.floorRss) },
      target: { text: '≤ 80 MiB', met: mib(w.rss) <= 80 },
    },
    {
      suite: 'agent',
      name: `agent CPU at SIM_SPEED 1 over ${seconds} s, whole process`,
      value: w.cpuShare * 100,
      unit: '% of a core',
      floor: { name: FLOOR_CPU, value: w.floorCpuShare * 100 },
      target: { text: 'control loop < 1 % of a core', met: w.cpuShare < 0.01 },
    },
  ];
}
