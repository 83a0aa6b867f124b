import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { renderAll, nftFile, wgConfFile, writeMesh } from '../../wireguard/src/mesh-dir.js';
import { parseMesh, type Mesh } from '../../wireguard/src/mesh.js';
import { startProcess, stopProcess, type RunningProcess } from '../support/processes.js';
import { AGENT_ENTRY, TEST_API_KEY, TEST_SECRET } from '../support/agent-process.js';
import { executions } from '../support/compare.js';
import { Lab, netnsRefusal } from './support/lab.js';

// Must show 2 and 3 (issue 15): three machines as network namespaces (pi, nas, app) on their own
// links, Debian's wireguard-go in each with the mesh's generated configs and rules, the real agent
// in pi and the real relay in nas reaching each other only by tunnel addresses (wss, pinned),
// and an app in app talking to the relay through its tunnel.
//
//   app 172.31.2.2 ── 172.31.2.1 nas 172.31.1.1 ── 172.31.1.2 pi      (underlay; nas forwards nothing)
//   app 10.77.0.10 ─────────── nas 10.77.0.1 ─────────── pi 10.77.0.2  (the mesh)

const refusal = netnsRefusal();
if (refusal !== null) console.warn(`test/deploy/mesh-tunnel: skipped: ${refusal}`);

const IN_NETNS = 'test/deploy/support/in-netns.mjs';
const AGENT_PORT = 8001;
const RELAY_PORT = 8000;

describe.skipIf(refusal !== null)('the mesh between three namespaces, with the real agent and relay', () => {
  const lab = new Lab();
  const dir = mkdtempSync(join(tmpdir(), 'boiler-mesh-tunnel-'));
  const ns = { pi: lab.ns('pi'), nas: lab.ns('nas'), app: lab.ns('app') };
  const dev = { pi: `wg${lab.id}pi`, nas: `wg${lab.id}nas`, app: `wg${lab.id}app` };
  const agentDb = join(dir, 'agent', 'agent.db');
  const relayUrl = `https://10.77.0.1:${RELAY_PORT}`;
  let mesh: Mesh;
  let agent: RunningProcess | undefined;
  let relay: RunningProcess | undefined;
  const listeners: ChildProcess[] = [];

  const linkOpens = () => relay!.lines.filter((l) => l.msg === 'agent link open').length;
  const appRequest = (method: string, path: string, body?: unknown) => lab.request(ns.app, method, `${relayUrl}${path}`, TEST_API_KEY, body);
  const commandState = (id: string) => String(appRequest('GET', `/api/commands/${id}`).body?.state);

  beforeAll(async () => {
    mesh = parseMesh({
      network: '10.77.0.0/24',
      agent_port: AGENT_PORT,
      relay_port: RELAY_PORT,
      peers: [
        { name: 'nas', role: 'nas', address: '10.77.0.1', endpoint: '172.31.1.1:51820', interface: dev.nas },
        { name: 'pi', role: 'pi', address: '10.77.0.2', behind_nat: true, interface: dev.pi },
        { name: 'desk', role: 'app', address: '10.77.0.10', interface: dev.app },
      ],
    });
    writeMesh(dir, mesh);
    renderAll(dir, mesh);

    for (const role of ['pi', 'nas', 'app'] as const) lab.addNamespace(role);
    lab.link({ ns: ns.pi, dev: `vp${lab.id}`, cidr: '172.31.1.2/24' }, { ns: ns.nas, dev: `vn${lab.id}p`, cidr: '172.31.1.1/24' });
    lab.link({ ns: ns.app, dev: `va${lab.id}`, cidr: '172.31.2.2/24' }, { ns: ns.nas, dev: `vn${lab.id}a`, cidr: '172.31.2.1/24' });
    // The app reaches the NAS's public endpoint through the NAS's other link, like a laptop on the internet.
    lab.exec(ns.app, 'ip', ['route', 'add', '172.31.1.0/24', 'via', '172.31.2.1']);

    const peers = [
      { role: 'nas', name: 'nas', address: '10.77.0.1' },
      { role: 'pi', name: 'pi', address: '10.77.0.2' },
      { role: 'app', name: 'desk', address: '10.77.0.10' },
    ] as const;
    for (const p of peers) {
      await lab.wireguard(ns[p.role], dev[p.role]);
      lab.up(ns[p.role], dev[p.role], wgConfFile(dir, mesh, p.name), `${p.address}/24`, nftFile(dir, mesh, p.name), dir);
    }

    // The secrets as the installer and compose hand them over: 0600 files, read through *_FILE.
    const secrets = join(dir, 'secrets');
    mkdirSync(secrets, { mode: 0o700 });
    writeFileSync(join(secrets, 'shared-secret'), `${TEST_SECRET}\n`, { mode: 0o600 });
    writeFileSync(join(secrets, 'api-key'), `${TEST_API_KEY}\n`, { mode: 0o600 });
    const secretFiles = { SHARED_SECRET_FILE: join(secrets, 'shared-secret'), API_KEY_FILE: join(secrets, 'api-key') };

    agent = startProcess(IN_NETNS, {
      BOILER_NETNS: ns.pi,
      BOILER_NETNS_ENTRY: AGENT_ENTRY,
      DB_PATH: agentDb,
      WS_HOST: '10.77.0.2',
      WS_PORT: String(AGENT_PORT),
      HARDWARE: 'sim',
      SIM_SPEED: '60',
      ...secretFiles,
      HEARTBEAT_INTERVAL: '1',
      LOG_LEVEL: 'info',
    });
    const cert = await agent.waitForLog((l) => typeof l.fingerprint === 'string', 30_000);
    await agent.waitForLog((l) => l.msg === 'agent listening', 30_000);
    relay = startProcess(IN_NETNS, {
      BOILER_NETNS: ns.nas,
      BOILER_NETNS_ENTRY: 'nas-relay/src/main.ts',
      DB_PATH: join(dir, 'relay', 'relay.db'),
      PI_WS_URL: `wss://10.77.0.2:${AGENT_PORT}/ws`,
      PI_TLS_FINGERPRINT: String(cert.fingerprint),
      HTTP_HOST: '10.77.0.1',
      HTTP_PORT: String(RELAY_PORT),
      ...secretFiles,
      LINK_DEAD_AFTER: '3',
      LOG_LEVEL: 'info',
    });
    await relay.waitForLog((l) => l.msg === 'relay listening', 30_000);
    await relay.waitForLog((l) => l.msg === 'agent link open', 30_000);
  }, 120_000);

  afterAll(async () => {
    if (relay !== undefined) await stopProcess(relay);
    if (agent !== undefined) await stopProcess(agent);
    for (const l of listeners) l.kill('SIGKILL');
    await lab.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  it('the relay linked to the agent over the tunnel (wss, pinned), and a command from the app succeeds end to end', async () => {
    const open = relay!.lines.find((l) => l.msg === 'agent link open');
    expect(open).toBeDefined();
    expect(relay!.lines.some((l) => l.msg === 'agent certificate does not match PI_TLS_FINGERPRINT; connection refused')).toBe(false);

    const id = randomUUID();
    const posted = appRequest('POST', '/api/commands', { id, body: { type: 'zone_mode', zone: 'Z1', mode: 'OFF' } });
    expect(posted).toMatchObject({ ok: true, status: 202, body: { id } });
    await expect.poll(() => commandState(id), { timeout: 30_000, interval: 250 }).toBe('succeeded');
    expect(executions(agentDb, id)).toBe(1);
    // The replica on the NAS saw the change come back through the tunnel.
    await expect.poll(() => appRequest('GET', '/api/zones/Z1').body?.mode, { timeout: 15_000, interval: 250 }).toBe('OFF');
  });

  it('with the tunnel down the command queues; with it up again it executes, once', async () => {
    const opensBefore = linkOpens();
    const from = relay!.lines.length;
    const since = (msg: string) => relay!.lines.slice(from).some((l) => l.msg === msg);
    lab.exec(ns.pi, 'ip', ['link', 'set', dev.pi, 'down']);
    await expect.poll(() => since('agent link closed'), { timeout: 30_000, interval: 100 }).toBe(true);

    const id = randomUUID();
    // Ten minutes to live: a reconnect's backoff must not outlast the command.
    const posted = appRequest('POST', '/api/commands', { id, expires_at: Date.now() + 600_000, body: { type: 'zone_mode', zone: 'Z2', mode: 'OFF' } });
    expect(posted).toMatchObject({ ok: true, status: 202, body: { id, state: 'queued' } });
    // Still queued once the relay is trying to reconnect (through a tunnel that is down), and never on the Pi.
    await expect.poll(() => since('reconnecting to the agent'), { timeout: 30_000, interval: 100 }).toBe(true);
    expect(commandState(id)).toBe('queued');
    expect(executions(agentDb, id)).toBe(0);

    lab.exec(ns.pi, 'ip', ['link', 'set', dev.pi, 'up']);
    const upAt = Date.now();
    await expect.poll(linkOpens, { timeout: 90_000, interval: 250 }).toBeGreaterThan(opensBefore);
    console.info(`mesh-tunnel: agent link open again ${Date.now() - upAt} ms after the tunnel came up; relay lines since: ${relay!.lines.slice(-6).map((l) => String(l.msg)).join(' | ')}`);
    await expect.poll(() => commandState(id), { timeout: 60_000, interval: 250 }).toBe('succeeded');
    expect(executions(agentDb, id)).toBe(1);
    expect(appRequest('GET', `/api/commands/${id}`).body).toMatchObject({ state: 'succeeded' });
  });

  it('with the rules loaded: nas reaches only the agent port on the Pi, the app reaches only the relay port, and never the Pi', async () => {
    // A listener on another port of the Pi (and of the NAS), reachable from the Pi itself and over
    // the underlay: only the tunnel's rules stand between it and the other peers.
    const spare = 9999;
    for (const n of [ns.pi, ns.nas]) {
      const listener = spawn('ip', ['netns', 'exec', n, process.execPath, '-e', `require('node:net').createServer((s) => s.end()).listen(${spare}, '0.0.0.0', () => console.log('listening'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
      listeners.push(listener);
      await new Promise<void>((resolve, reject) => {
        listener.stdout.on('data', (d: Buffer) => {
          if (d.toString().includes('listening')) resolve();
        });
        listener.on('exit', (code) => reject(new Error(`the listener in ${n} exited (${code})`)));
      });
    }
    expect.soft(lab.connect(ns.pi, '10.77.0.2', spare)).toBe('open');
    expect.soft(lab.connect(ns.nas, '172.31.1.2', spare)).toBe('open');
    expect(lab.connect(ns.nas, '10.77.0.2', AGENT_PORT)).toBe('open');
    expect(lab.connect(ns.nas, '10.77.0.2', spare)).toBe('ETIMEDOUT');
    expect(lab.connect(ns.nas, '10.77.0.2', 22)).toBe('ETIMEDOUT');
    // The app: the relay's port on the NAS, nothing else there, and no way to the Pi at all.
    expect(lab.connect(ns.app, '10.77.0.1', RELAY_PORT)).toBe('open');
    expect(lab.connect(ns.app, '10.77.0.1', spare)).toBe('ETIMEDOUT');
    expect(lab.connect(ns.app, '10.77.0.2', AGENT_PORT)).not.toBe('open');
    expect(lab.connect(ns.app, '172.31.1.2', AGENT_PORT)).not.toBe('open');
    // The drops were counted by the rules (not a listener that was missing).
    expect(lab.exec(ns.pi, 'nft', ['list', 'chain', 'inet', 'boiler_mesh', 'input']).stdout).toMatch(/counter packets [1-9]\d* bytes \d+ drop comment "nothing else in on the tunnel"/);
  });

  it('the NAS as a Docker host: the relay in a container dials the agent through the tunnel, a published port takes the apps, nothing else is routed', async () => {
    // Docker's shape, by hand: a container namespace behind the NAS, its outbound masqueraded,
    // the relay's port published by DNAT. The NAS's generated rules judge it on the forward hook.
    const ctr = lab.addNamespace('ctr');
    lab.link({ ns: ns.nas, dev: `vn${lab.id}c`, cidr: '172.31.3.1/24' }, { ns: ctr, dev: `vc${lab.id}`, cidr: '172.31.3.2/24' });
    lab.exec(ctr, 'ip', ['route', 'add', 'default', 'via', '172.31.3.1']);
    lab.exec(ns.nas, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const nat = join(dir, 'docker-like.nft');
    writeFileSync(nat, [
      'table ip dockerlike {',
      '  chain pre {',
      '    type nat hook prerouting priority dstnat; policy accept;',
      `    iifname "${dev.nas}" ip daddr 10.77.0.1 tcp dport { ${RELAY_PORT}, 9999 } dnat to 172.31.3.2`,
      '  }',
      '  chain post {',
      '    type nat hook postrouting priority srcnat; policy accept;',
      `    oifname "${dev.nas}" masquerade`,
      '  }',
      '}',
      '',
    ].join('\n'));
    lab.exec(ns.nas, 'nft', ['-f', nat]);
    const listener = spawn('ip', ['netns', 'exec', ctr, process.execPath, '-e', `const net = require('node:net'); let n = 0; for (const p of [${RELAY_PORT}, 9999]) net.createServer((s) => s.end()).listen(p, '0.0.0.0', () => { if (++n === 2) console.log('listening'); })`], { stdio: ['ignore', 'pipe', 'inherit'] });
    listeners.push(listener);
    await new Promise<void>((resolve, reject) => {
      listener.stdout.on('data', (d: Buffer) => {
        if (d.toString().includes('listening')) resolve();
      });
      listener.on('exit', (code) => reject(new Error(`the container's listener exited (${code})`)));
    });

    // Out: the relay's way to the agent, and only that.
    expect(lab.connect(ctr, '10.77.0.2', AGENT_PORT)).toBe('open');
    expect(lab.connect(ctr, '10.77.0.2', 9999)).toBe('ETIMEDOUT');
    // In: the published relay port from the app; another published port is not let through.
    expect(lab.connect(ns.app, '10.77.0.1', RELAY_PORT)).toBe('open');
    expect(lab.connect(ns.app, '10.77.0.1', 9999)).toBe('ETIMEDOUT');
    expect(lab.exec(ns.nas, 'nft', ['list', 'chain', 'inet', 'boiler_mesh', 'forward']).stdout).toMatch(/counter packets [1-9]\d* bytes \d+ drop comment "the mesh is not a route to anywhere else"/);
  });
});
