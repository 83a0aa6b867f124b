import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@boiler/service';
import { RelayEnv } from '../../nas-relay/src/config.js';
import { assembleRelay, type RelayAssemblyOptions } from '../../nas-relay/src/assemble.js';
import { TEST_API_KEY, TEST_SECRET } from './agent-process.js';

/** A relay assembled in the test's own process: the same parts as `nas-relay/src/main.ts` wires, on real sockets and files. */
export interface InProcessRelay {
  url: string;
  dir: string;
  dbPath: string;
  /** Its log lines, parsed, as a process's would be. */
  lines: Record<string, unknown>[];
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  stop(): Promise<void>;
  cleanup(): void;
}

/**
 * Starts a relay in this process linked to `agentWsUrl`, with its replica in its own directory.
 * What a process test cannot do quickly it can: shorten the link's backoff and auth deadline
 * (`link`), so a test of many refused connections does not wait out minutes of real backoff.
 */
export async function startRelayInProcess(
  agentWsUrl: string,
  options: { env?: Record<string, string>; dir?: string; link?: RelayAssemblyOptions['link']; notify?: RelayAssemblyOptions['notify'] } = {},
): Promise<InProcessRelay> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'boiler-relay-'));
  const dbPath = join(dir, 'relay.db');
  const env = RelayEnv.parse({
    DB_PATH: dbPath,
    PI_WS_URL: agentWsUrl,
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    API_KEY: TEST_API_KEY,
    LOG_LEVEL: 'info',
    ...options.env,
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const log = createLogger({
    name: 'relay',
    level: env.LOG_LEVEL,
    destination: {
      write(text: string) {
        try {
          lines.push(JSON.parse(text) as Record<string, unknown>);
        } catch {
          lines.push({ msg: text });
        }
        for (const wake of waiters) wake();
      },
    },
  });
  const parts = await assembleRelay(env, TEST_SECRET, log, {
    uiDir: join(dir, 'no-ui'),
    ...(options.link === undefined ? {} : { link: options.link }),
    ...(options.notify === undefined ? {} : { notify: options.notify }),
  });
  const port = await parts.start();
  let stopped = false;
  return {
    url: `http://127.0.0.1:${port}`,
    dir,
    dbPath,
    lines,
    waitForLog(pred, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find(pred);
          if (found === undefined) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no such relay log line within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await parts.stop();
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
