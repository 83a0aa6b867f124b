import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, stopProcess, type RunningProcess } from './processes.js';
import { TEST_API_KEY, TEST_SECRET } from './agent-process.js';

export interface RelayUnderTest {
  proc: RunningProcess;
  url: string;
  dir: string;
  dbPath: string;
  stop(): Promise<void>;
  cleanup(): void;
}

/** A relay process linked to the given agent ws URL, with its own replica file. */
export async function startRelay(agentWsUrl: string, options: { env?: Record<string, string>; dir?: string } = {}): Promise<RelayUnderTest> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'boiler-relay-'));
  const dbPath = join(dir, 'relay.db');
  const proc = startProcess('nas-relay/src/main.ts', {
    DB_PATH: dbPath,
    PI_WS_URL: agentWsUrl,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    API_KEY: TEST_API_KEY,
    SHARED_SECRET: TEST_SECRET,
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const line = await proc.waitForLog((l) => l.msg === 'relay listening', 20_000);
  return {
    proc,
    url: `http://127.0.0.1:${String(line.port)}`,
    dir,
    dbPath,
    stop: () => stopProcess(proc),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface LinkView {
  connected: boolean;
  applied_seq: number;
  link: {
    connects: number;
    badFrames: number;
    duplicates: number;
    gaps: number;
    rangeRequests: number;
    fullSyncs: number;
    digestMismatches: number;
    eventsApplied: number;
    lastHeartbeat: { last_seq: number; digest_match: boolean; at: number } | null;
  };
  replica: { eventsApplied: number; eventsSkipped: number };
}

export async function linkView(url: string): Promise<LinkView> {
  const res = await fetch(`${url}/api/link`, { headers: { authorization: `Bearer ${TEST_API_KEY}` } });
  return (await res.json()) as LinkView;
}
