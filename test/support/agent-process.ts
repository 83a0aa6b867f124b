import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { Command, CommandBody } from '@boiler/shared';
import { startProcess, stopProcess, type RunningProcess } from './processes.js';

/** What a Pi runs (the unit file's ExecStart), built from the sources before the tests by test/setup/build-agent.ts. */
export const AGENT_ENTRY = 'agent/dist/main.mjs';

export const TEST_API_KEY = 'test-api-key-0123456789abcdef';
export const TEST_SECRET = 'test-shared-secret-0123456789';

/** An agent process on the simulator, on a free port, with its own database in a temp dir. */
export interface AgentUnderTest {
  proc: RunningProcess;
  url: string;
  port: number;
  dir: string;
  dbPath: string;
  env: Record<string, string>;
  stop(): Promise<void>;
  /** Removes the temp dir; call after stop. */
  cleanup(): void;
}

export async function startAgent(options: { env?: Record<string, string>; dir?: string } = {}): Promise<AgentUnderTest> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'boiler-agent-'));
  const dbPath = join(dir, 'agent.db');
  const env = {
    DB_PATH: dbPath,
    WS_HOST: '127.0.0.1',
    WS_PORT: '0',
    HARDWARE: 'sim',
    SIM_SPEED: '60',
    API_KEY: TEST_API_KEY,
    SHARED_SECRET: TEST_SECRET,
    LOG_LEVEL: 'info',
    ...options.env,
  };
  const proc = startProcess(AGENT_ENTRY, env);
  const line = await proc.waitForLog((l) => l.msg === 'agent listening', 20_000);
  const port = Number(line.port);
  return {
    proc,
    port,
    url: `http://127.0.0.1:${port}`,
    dir,
    dbPath,
    env,
    stop: () => stopProcess(proc),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** A fresh command with a new id that expires in ten minutes. */
export function command(body: CommandBody, overrides: Partial<Command> = {}): Command {
  const now = Date.now();
  return { id: randomUUID(), created_at: now, expires_at: now + 600_000, body, ...overrides };
}

export async function postCommand(url: string, body: unknown, key: string | null = TEST_API_KEY, raw?: string) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}/api/commands`, { method: 'POST', headers, body: raw ?? JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson<T = Record<string, unknown>>(url: string, path: string, key: string | null = TEST_API_KEY): Promise<{ status: number; body: T }> {
  const headers: Record<string, string> = {};
  if (key !== null) headers.authorization = `Bearer ${key}`;
  const res = await fetch(`${url}${path}`, { headers });
  return { status: res.status, body: (await res.json()) as T };
}
