import { describe, it, expect, afterAll } from 'vitest';
import { request } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from 'node:https';
import { certificateFingerprint, pinnedAgent } from '../../nas-relay/src/tls/index.js';
import { startAgent, type AgentUnderTest } from '../support/agent-process.js';
import { stopAndCleanUp } from '../support/processes.js';
import { startRelay, type RelayUnderTest } from '../support/relay-process.js';

let agent: AgentUnderTest | undefined;
let relay: RelayUnderTest | undefined;
const dir = mkdtempSync(join(tmpdir(), 'boiler-tls-'));
afterAll(async () => {
  await stopAndCleanUp(relay, agent);
  rmSync(dir, { recursive: true, force: true });
});

function get(url: string, httpsAgent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: httpsAgent }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the relay off loopback', () => {
  it('serves HTTPS with a self-signed certificate made on first start and prints its fingerprint; pinned clients connect, others refuse', async () => {
    agent = await startAgent({ env: { SIM_SPEED: '1' } });
    // Listening on every interface means TLS; the test still talks only to 127.0.0.1.
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { HTTP_HOST: '0.0.0.0' } });
    const listening = relay.proc.lines.find((l) => l.msg === 'relay listening');
    expect(listening?.tls).toBe(true);
    const printed = /fingerprint: ([0-9A-F:]{95})/.exec(relay.proc.stderr())?.[1];
    expect(printed).toBeDefined();
    const certPem = readFileSync(join(relay.dir, 'relay-tls-cert.pem'));
    expect(certificateFingerprint(certPem)).toBe(printed);
    const url = `https://127.0.0.1:${String(listening?.port)}/health`;

    expect(await get(url, pinnedAgent(printed as string))).toBe(200);

    // Another self-signed certificate's fingerprint: the pinned client must refuse this server.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=other', '-days', '1', '-keyout', join(dir, 'k.pem'), '-out', join(dir, 'c.pem')], { stdio: 'ignore' });
    const other = certificateFingerprint(readFileSync(join(dir, 'c.pem')));
    await expect(get(url, pinnedAgent(other))).rejects.toThrow();
    // And an ordinary client refuses a self-signed certificate it was not told about.
    await expect(fetch(url)).rejects.toThrow();

    // A second start reuses the same certificate, so the pin stays good.
    const again = relay;
    await again.stop();
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { dir: again.dir, env: { HTTP_HOST: '0.0.0.0' } });
    expect(/fingerprint: ([0-9A-F:]{95})/.exec(relay.proc.stderr())?.[1]).toBe(printed);
  });
});
