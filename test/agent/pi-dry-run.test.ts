import { describe, it, expect, afterEach } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GPIO_LAYOUTS, writeSysfsGpioTree } from '../fakes/sysfs-gpio.js';
import { FakeW1Tree } from '../fakes/w1-tree.js';
import { startProcess, stopProcess, repoRoot, type RunningProcess } from '../support/processes.js';
import { AGENT_ENTRY, TEST_API_KEY, TEST_SECRET, command, getJson, postCommand } from '../support/agent-process.js';

// An installer's dry run: the agent started with HARDWARE=pi against a fake sysfs GPIO tree and
// a fake 1-wire tree, with the reference house's zones and the example board description.

const cleanups: (() => void)[] = [];
const procs: RunningProcess[] = [];

afterEach(async () => {
  for (const p of procs.splice(0)) await stopProcess(p);
  for (const c of cleanups.splice(0)) c();
});

/** Pi 4 on Bookworm: the header's chip starts at 512, so BCM 5 (zone1's relay) is gpio517. */
const BASE = 512;

function dryRunTree(board: (example: Record<string, unknown>) => Record<string, unknown> = (b) => b) {
  const gpio = writeSysfsGpioTree(GPIO_LAYOUTS.pi4Bookworm, { lines: true });
  const w1 = FakeW1Tree.create();
  const dir = mkdtempSync(join(tmpdir(), 'pi-dry-run-'));
  cleanups.push(gpio.remove, () => w1.remove(), () => rmSync(dir, { recursive: true, force: true }));
  const zones = JSON.parse(readFileSync(join(repoRoot, 'agent', 'zones.json'), 'utf8')) as { outdoor_sensor: string; zones: { room_sensor?: string; pipe_sensor?: string }[] };
  for (const z of zones.zones) {
    if (z.room_sensor !== undefined) w1.reading(z.room_sensor, 19.5);
    if (z.pipe_sensor !== undefined) w1.reading(z.pipe_sensor, 30);
  }
  w1.reading(zones.outdoor_sensor, -4);
  const example = JSON.parse(readFileSync(join(repoRoot, 'agent', 'hardware.pi.example.json'), 'utf8')) as Record<string, unknown>;
  const hardwareFile = join(dir, 'hardware.json');
  writeFileSync(hardwareFile, JSON.stringify(board({ ...example, w1: { w1Directory: w1.dir } })));
  const gpioDir = join(gpio.root, 'sys', 'class', 'gpio');
  const env = {
    HARDWARE: 'pi',
    HARDWARE_FILE: hardwareFile,
    GPIO_SYSFS_ROOT: gpioDir,
    DB_PATH: join(dir, 'agent.db'),
    WS_HOST: '127.0.0.1',
    WS_PORT: '0',
    API_KEY: TEST_API_KEY,
    SHARED_SECRET: TEST_SECRET,
    LOG_LEVEL: 'info',
  };
  const line = (bcm: number, file: string) => readFileSync(join(gpioDir, `gpio${BASE + bcm}`, file), 'utf8').trim();
  return { env, line };
}

describe('HARDWARE=pi dry run against fake sysfs GPIO and 1-wire trees', () => {
  it('serves /health, reads the sensors, and drives a relay pin on a command', async () => {
    const { env, line } = dryRunTree();
    const proc = startProcess(AGENT_ENTRY, env);
    procs.push(proc);
    const listening = await proc.waitForLog((l) => l.msg === 'agent listening', 20_000);
    expect(listening.hardware).toBe('pi');
    const url = `http://127.0.0.1:${Number(listening.port)}`;
    expect(proc.lines.some((l) => l.msg === 'GPIO pin controller found' && l.base === BASE)).toBe(true);

    const health = await getJson(url, '/health');
    expect(health.status).toBe(200);
    expect(['ok', 'degraded']).toContain(health.body.status);

    // The board is active low: every relay starts released, its line driven high as an output.
    expect([line(5, 'direction'), line(5, 'value'), line(5, 'active_low')]).toEqual(['high', '1', '0']);
    // The sensors come through the fake w1 tree.
    await expect.poll(async () => (await getJson<{ room_c: number | null }>(url, '/api/zones/Z1')).body.room_c, { timeout: 10_000 }).toBe(19.5);

    const on = await postCommand(url, command({ type: 'zone_mode', zone: 'Z1', mode: 'ON' }));
    expect(on.status).toBe(200);
    // Z1's minimum off time runs from start (180 s by default), so the valve stays released at first...
    expect(line(5, 'value')).toBe('1');
    // ...and SIGTERM leaves every relay released.
    await stopProcess(proc);
    procs.splice(procs.indexOf(proc), 1);
    expect(line(5, 'value')).toBe('1');
    expect(line(17, 'value')).toBe('1');
  });

  it('energises a zone relay (active low: the line goes to 0) once its minimum off time allows', async () => {
    const { env, line } = dryRunTree();
    const dir = mkdtempSync(join(tmpdir(), 'pi-dry-zones-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const zones = JSON.parse(readFileSync(join(repoRoot, 'agent', 'zones.json'), 'utf8')) as { zones: Record<string, unknown>[] };
    zones.zones = zones.zones.map((z) => (z.name === 'Z1' ? { ...z, min_off_s: 0 } : z));
    writeFileSync(join(dir, 'zones.json'), JSON.stringify(zones));
    const proc = startProcess(AGENT_ENTRY, { ...env, ZONES_FILE: join(dir, 'zones.json') });
    procs.push(proc);
    const listening = await proc.waitForLog((l) => l.msg === 'agent listening', 20_000);
    const url = `http://127.0.0.1:${Number(listening.port)}`;
    expect((await postCommand(url, command({ type: 'zone_mode', zone: 'Z1', mode: 'ON' }))).status).toBe(200);
    await expect.poll(() => line(5, 'value'), { timeout: 10_000 }).toBe('0');
    // Only that zone's valve; its neighbour stays released.
    expect(line(6, 'value')).toBe('1');
  });

  it('refuses a board description that does not fit the chip, one line per problem, before touching a pin', async () => {
    const { env, line } = dryRunTree((b) => ({ ...b, relays: { ...(b.relays as object), pins: { ...(b.relays as { pins: object }).pins, zone1: 60, zone2: 61 } } }));
    const proc = startProcess(AGENT_ENTRY, env);
    const exit = await proc.exited;
    expect(exit.code).toBe(2);
    const lines = proc.stderr().trim().split('\n');
    expect(lines).toEqual([
      'config: HARDWARE_FILE: relays: zone1: BCM pin 60 is not on pinctrl-bcm2711 (lines 0..57)',
      'config: HARDWARE_FILE: relays: zone2: BCM pin 61 is not on pinctrl-bcm2711 (lines 0..57)',
    ]);
    expect(line(6, 'direction')).toBe('in');
  });

  it('names GPIO_SYSFS_ROOT when no Raspberry Pi pin controller is there', async () => {
    const { env } = dryRunTree();
    const empty = mkdtempSync(join(tmpdir(), 'no-gpio-'));
    cleanups.push(() => rmSync(empty, { recursive: true, force: true }));
    const proc = startProcess(AGENT_ENTRY, { ...env, GPIO_SYSFS_ROOT: empty });
    const exit = await proc.exited;
    expect(exit.code).toBe(2);
    const lines = proc.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^config: GPIO_SYSFS_ROOT: no Raspberry Pi GPIO pin controller under /);
  });
});
