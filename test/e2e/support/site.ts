import { test as base } from '@playwright/test';
import { startAgent, TEST_API_KEY, type AgentUnderTest } from '../../support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../../support/relay-process.js';
import { stopAndCleanUp } from '../../support/processes.js';

/** Seconds of silence after which the relay calls the link dead: short, so offline shows quickly. */
export const LINK_DEAD_AFTER_S = 5;

/** A real agent on the simulator and a real relay linked to it, serving the built UI. */
export interface Site {
  agent: AgentUnderTest;
  relay: RelayUnderTest;
  /** The relay's address: the browser's origin. */
  url: string;
  apiKey: string;
}

/** A site; `dir` holds the agent's files (a database seeded beforehand), `agentEnv` and `relayEnv` add to their environments. */
export async function startSite(options: { dir?: string; agentEnv?: Record<string, string>; relayEnv?: Record<string, string> } = {}): Promise<Site> {
  // Heartbeats and batches every second, so a link that is alive never looks dead at LINK_DEAD_AFTER_S.
  // The simulated wall clock runs SIM_SPEED times fast, and the agent judges a command's expiry
  // (set by the relay on the real clock) on it: started a day behind, it stays behind the real
  // clock for about 24 minutes at 60x, so a command is not expired on arrival.
  const agent = await startAgent({
    ...(options.dir === undefined ? {} : { dir: options.dir }),
    env: { SIM_SPEED: '60', SIM_CLOCK_OFFSET: '-24h', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1', ...options.agentEnv },
  });
  let relay: RelayUnderTest | undefined;
  try {
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { LINK_DEAD_AFTER: String(LINK_DEAD_AFTER_S), COMMAND_TIMEOUT: '10', ...options.relayEnv } });
    await relay.proc.waitForLog((l) => l.msg === 'agent link open');
  } catch (err) {
    await stopAndCleanUp(relay, agent);
    throw err;
  }
  return { agent, relay, url: relay.url, apiKey: TEST_API_KEY };
}

/**
 * `test` with a `site` per worker: one worker runs a file's tests in order (workers: 1), and a
 * failed test gets a fresh worker, so a broken site is not handed on.
 */
/** A worker-scoped fixture holding a site of its own, stopped when the worker ends. */
export function siteFixture(): [(args: object, use: (site: Site) => Promise<void>) => Promise<void>, { scope: 'worker' }] {
  return [
    // Playwright reads a fixture's dependencies from its first parameter's pattern; this one has none.
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const site = await startSite();
      try {
        await use(site);
      } finally {
        await stopAndCleanUp(site.relay, site.agent);
      }
    },
    { scope: 'worker' },
  ];
}

export const test = base.extend<{ baseURL: string }, { site: Site }>({
  site: siteFixture(),
  baseURL: async ({ site }, use) => {
    await use(site.url);
  },
});

export { expect } from '@playwright/test';
