import { describe, it, expect, afterEach } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EventEntry, SystemState, ZoneState } from '@boiler/shared';
import { linkProof, loadTlsPair, newNonce } from '@boiler/service';
import { startAgent, getJson, TEST_SECRET } from '../support/agent-process.js';
import { startRelay, linkView, type RelayUnderTest } from '../support/relay-process.js';
import { startRelayInProcess } from '../support/relay-in-process.js';
import { startProcess, stopProcess } from '../support/processes.js';
import { expectSameEvents } from '../support/compare.js';
import { FakeAgentServer, authenticateToAgent, connectToAgent, frame, type PeerSocket } from '../support/link-peer.js';

// Must show 2 of issue 8: the MAC-oracle attack, a fake agent without the secret, a replica
// pushed ahead, and the relay pinning the agent's certificate.

const running: { stop(): Promise<void>; cleanup(): void }[] = [];
afterEach(async () => {
  for (const p of running.splice(0).reverse()) {
    await p.stop();
    p.cleanup();
  }
});
function track<T extends { stop(): Promise<void>; cleanup(): void }>(p: T): T {
  running.push(p);
  return p;
}
function trackServer(s: FakeAgentServer): FakeAgentServer {
  running.push({ stop: () => s.close(), cleanup: () => undefined });
  return s;
}

const count = (p: { lines: Record<string, unknown>[] }, msg: string) => p.lines.filter((l) => l.msg === msg).length;

/** What the relay serves, read past its cache: the replica file itself, plus the API. */
async function served(relay: Pick<RelayUnderTest, 'url' | 'dbPath'>) {
  const db = new Database(relay.dbPath, { readonly: true });
  try {
    return {
      applied: (db.prepare(`SELECT value FROM meta WHERE key = 'applied_seq'`).get() as { value: number }).value,
      events: db.prepare('SELECT seq, ts, event, zone, detail FROM events ORDER BY seq').all(),
      zoneRows: db.prepare('SELECT zone, state FROM zone_states ORDER BY zone').all(),
      systemRow: db.prepare('SELECT state FROM system_state').all(),
      zones: (await getJson<{ zones: ZoneState[] }>(relay.url, '/api/zones')).body.zones,
      system: (await getJson<SystemState>(relay.url, '/api/system')).body,
      apiEvents: (await getJson<{ events: EventEntry[] }>(relay.url, '/api/events?limit=50')).body.events,
    };
  } finally {
    db.close();
  }
}

describe('the link handshake has no MAC oracle', () => {
  it('a man in the middle that relays the challenges gets no auth_ok from the agent, and the relay signs nothing it can use', async () => {
    const agent = track(await startAgent({ env: { SIM_SPEED: '60' } }));
    const agentWs = `ws://127.0.0.1:${agent.port}/ws`;
    const steps: Record<string, unknown> = {};
    let attack: Promise<void> | undefined;
    // The man in the middle stands where the relay's PI_WS_URL points and talks to the real agent.
    const mitm = trackServer(
      new FakeAgentServer((relay) => {
        if (attack !== undefined) return; // later reconnects of the relay: held open, ignored
        attack = (async () => {
          const toAgent = await connectToAgent(agentWs);
          // The old attack: hand the agent's challenge to the relay as if it were the agent's own...
          const challenge = await toAgent.waitFor('auth_challenge');
          relay.send(frame('auth_challenge', challenge.payload));
          // ...and the relay answers with a fresh nonce of its own, signing nothing yet.
          const request = await relay.waitFor('auth_request');
          steps.relayFirstAnswer = relay.received.map((m) => m.type);
          // Relay the relay's challenge to the agent: the agent proves itself over both nonces.
          toAgent.send(frame('auth_request', request.payload));
          const proof = await toAgent.waitFor('auth_proof');
          // Reflection: the agent's own proof back as the relay's. The direction label makes it worthless.
          toAgent.send(frame('auth_response', { mac: proof.payload.mac }));
          steps.reflected = await toAgent.whenClosed();
          steps.reflectedGotOk = toAgent.received.some((m) => m.type === 'auth_ok');
          // The relay signs once it holds the agent's proof of *its* nonce; that signature is bound
          // to the agent nonce of a socket now closed, so replayed on a new socket it fails.
          relay.send(frame('auth_proof', { mac: proof.payload.mac }));
          const relayProof = await relay.waitFor('auth_response');
          const second = await connectToAgent(agentWs);
          await second.waitFor('auth_challenge');
          second.send(frame('auth_request', request.payload));
          await second.waitFor('auth_proof');
          second.send(frame('auth_response', relayProof.payload));
          steps.replayed = await second.whenClosed();
          steps.replayedGotOk = second.received.some((m) => m.type === 'auth_ok');
          // A third socket tries commands with no handshake at all.
          const third = await connectToAgent(agentWs);
          await third.waitFor('auth_challenge');
          third.send(frame('command_request', { command: { id: '0b6c6f4e-8f7e-4d55-9c6a-6d1f0d1e2f30', created_at: Date.now(), expires_at: Date.now() + 60_000, body: { type: 'zone_mode', zone: 'Z1', mode: 'OFF' } } }));
          steps.unauthenticated = await third.whenClosed();
          steps.commandAnswered = third.received.some((m) => m.type === 'command_response');
        })();
      }),
    );
    const mitmPort = await mitm.listen();
    const relay = track(await startRelay(`ws://127.0.0.1:${mitmPort}/ws`));
    await expect.poll(() => attack !== undefined, { timeout: 15_000 }).toBe(true);
    await attack;

    expect(steps.relayFirstAnswer).toEqual(['auth_request']); // no MAC over the agent's nonce came back
    expect(steps.reflected).toMatchObject({ code: 4001 });
    expect(steps.reflectedGotOk).toBe(false);
    expect(steps.replayed).toMatchObject({ code: 4001 });
    expect(steps.replayedGotOk).toBe(false);
    expect(steps.unauthenticated).toMatchObject({ code: 4001 });
    expect(steps.commandAnswered).toBe(false);
    // The agent opened no link and ran no command; zone Z1 is as it was.
    // The agent's log lines come through its stdout pipe and may trail the closes the peers saw.
    await expect.poll(() => count(agent.proc, 'relay failed the challenge (wrong secret)'), { timeout: 5000 }).toBe(2);
    await expect.poll(() => count(agent.proc, 'relay spoke before authenticating'), { timeout: 5000 }).toBe(1);
    expect(count(agent.proc, 'relay link open')).toBe(0);
    const z1 = (await getJson<ZoneState>(agent.url, '/api/zones/Z1')).body;
    expect(z1.mode).not.toBe('OFF');
    expect((await linkView(relay.url)).connected).toBe(false);
    expect(agent.proc.proc.exitCode).toBeNull();
  });

  it('a fake agent without the secret changes nothing the relay serves; the real agent then carries on', async () => {
    const agent = await startAgent({ env: { SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    // The relay in this process (the same parts its main wires) with a short backoff and auth deadline:
    // six refused connections at the real 1 s .. 60 s backoff and 10 s deadline cost a minute of waiting.
    const relay = track(await startRelayInProcess(`ws://127.0.0.1:${agent.port}/ws`, { link: { backoffMinMs: 50, backoffMaxMs: 400, authTimeoutMs: 1500 } }));
    await expect.poll(async () => (await linkView(relay.url)).applied_seq, { timeout: 20_000 }).toBeGreaterThan(20);
    await expect.poll(async () => (await getJson<{ zones: ZoneState[] }>(relay.url, '/api/zones')).body.zones.length, { timeout: 10_000 }).toBeGreaterThan(0);
    await agent.stop();
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);
    const before = await served(relay);

    // Data a fake would love the relay to take: every zone off, the house away, an event, a sync to 2^53-1.
    const zones = before.zones.map((z) => ({ ...z, mode: 'OFF' as const, output: false, updated_at: Date.now() }));
    const system = { ...before.system, away: true, updated_at: Date.now() };
    const event = { ...(before.apiEvents[0] as EventEntry), seq: before.applied + 1, ts: Date.now() };
    const poison = [
      frame('zone_state_update', { zones }),
      frame('system_state_update', { system }),
      frame('event_log_entry', { first_seq: event.seq, last_seq: event.seq, events: [event] }),
      frame('full_sync_response', { page: 0, done: true, snapshot: { zones, system, last_seq: Number.MAX_SAFE_INTEGER, first_kept_seq: 1 }, events: [] }),
      frame('heartbeat', { last_seq: Number.MAX_SAFE_INTEGER, digest: 'x', uptime_s: 1 }),
    ];
    const wrongProof = (relayPeer: PeerSocket, nonce: string, requestNonce: string, client: string) =>
      relayPeer.send(frame('auth_proof', { mac: linkProof('not-the-shared-secret-at-all', 'agent->relay', { agentNonce: nonce, relayNonce: requestNonce, agent: 'house', client }) }));
    // One fake per relay connection, each trying another way in; the last stays silent past the deadline.
    const tactics: ((r: PeerSocket) => Promise<void>)[] = [
      async (r) => {
        for (const f of poison) r.send(f); // no handshake at all
      },
      async (r) => {
        r.send(frame('auth_challenge', { nonce: newNonce(), agent: 'house' }));
        await r.waitFor('auth_request');
        for (const f of poison) r.send(f); // data instead of a proof
      },
      async (r) => {
        const nonce = newNonce();
        r.send(frame('auth_challenge', { nonce, agent: 'house' }));
        const req = await r.waitFor('auth_request');
        wrongProof(r, nonce, req.payload.nonce, req.payload.client);
        for (const f of poison) r.send(f);
      },
      async (r) => {
        r.send(frame('auth_challenge', { nonce: newNonce(), agent: 'house' }));
        await r.waitFor('auth_request');
        r.send(frame('auth_ok', { last_seq: Number.MAX_SAFE_INTEGER })); // skips its proof
        for (const f of poison) r.send(f);
      },
      async (r) => {
        r.send(frame('auth_challenge', { nonce: newNonce(), agent: 'house' })); // then silence
      },
    ];
    const closes: { code: number; signedForFake: boolean }[] = [];
    const fake = trackServer(
      new FakeAgentServer((r) => {
        const tactic = tactics[Math.min(fake.relays.length - 1, tactics.length - 1)];
        void tactic?.(r).catch(() => undefined);
        void r.whenClosed().then((c) => closes.push({ code: c.code, signedForFake: r.received.some((m) => m.type === 'auth_response') }));
      }),
    );
    await fake.listen(agent.port);
    await expect.poll(() => closes.length, { timeout: 60_000, interval: 250 }).toBeGreaterThanOrEqual(tactics.length);
    await fake.close();

    expect(closes.slice(0, 5).map((c) => c.code)).toEqual([4001, 4001, 4001, 4001, 4002]);
    expect(closes.some((c) => c.signedForFake)).toBe(false);
    await expect.poll(() => count(relay, 'agent spoke before authenticating'), { timeout: 5000 }).toBeGreaterThanOrEqual(3);
    await expect.poll(() => count(relay, 'agent failed the challenge (wrong secret, or not the agent)'), { timeout: 5000 }).toBe(1);
    await expect.poll(() => count(relay, 'agent did not finish the handshake in time'), { timeout: 5000 }).toBe(1);
    const after = await served(relay);
    expect(after).toEqual(before);
    expect(after.zones.some((z) => z.mode === 'OFF' && z.updated_at === zones[0]?.updated_at)).toBe(false);

    // The real agent back on its port: the relay links up and replicates past where it was.
    const again = track(await startAgent({ dir: agent.dir, env: { WS_PORT: String(agent.port), SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } }));
    await expect.poll(async () => (await linkView(relay.url)).applied_seq, { timeout: 30_000 }).toBeGreaterThan(before.applied + 5);
    expect((await linkView(relay.url)).connected).toBe(true);
    await again.stop();
    await expect.poll(async () => (await linkView(relay.url)).connected, { timeout: 10_000 }).toBe(false);
    expectSameEvents(again.dbPath, relay.dbPath);
  });

  it('a replica whose applied seq is ahead of the authenticated agent (2^53-1) resyncs from zero, its events replaced', async () => {
    const agent = await startAgent({ env: { SIM_SPEED: '60', BATCH_INTERVAL: '1', HEARTBEAT_INTERVAL: '1' } });
    running.push({ stop: () => agent.stop(), cleanup: () => agent.cleanup() });
    const relay = track(await startRelay(`ws://127.0.0.1:${agent.port}/ws`));
    await expect.poll(async () => (await linkView(relay.url)).applied_seq, { timeout: 20_000 }).toBeGreaterThan(10);
    await relay.stop();
    // What a lying peer used to leave behind: an applied seq no real agent will reach, and an event at it.
    const db = new Database(relay.dbPath);
    db.prepare(`UPDATE meta SET value = ? WHERE key = 'applied_seq'`).run(Number.MAX_SAFE_INTEGER);
    db.prepare(`INSERT INTO events (seq, ts, source, event) VALUES (?, ?, 'system', 'ALERT')`).run(Number.MAX_SAFE_INTEGER, Date.now());
    db.close();

    const restarted = track(await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { dir: relay.dir }));
    await restarted.proc.waitForLog((l) => l.msg === 'replica is ahead of the agent log; full sync from zero, replacing its events', 20_000);
    await expect.poll(async () => (await linkView(restarted.url)).applied_seq, { timeout: 30_000 }).toBeLessThan(Number.MAX_SAFE_INTEGER);
    await agent.stop();
    await expect.poll(async () => (await linkView(restarted.url)).connected, { timeout: 10_000 }).toBe(false);
    expectSameEvents(agent.dbPath, restarted.dbPath);
  });

  it('a handshake message on an open link is refused with close code 4004, at the agent and at the relay', async () => {
    const agent = track(await startAgent({ env: { SIM_SPEED: '60' } }));
    const opened = await authenticateToAgent(`ws://127.0.0.1:${agent.port}/ws`, TEST_SECRET);
    expect(opened.lastSeq).not.toBeNull(); // the right secret opens the link
    opened.peer.send(frame('auth_request', { nonce: newNonce(), client: 'again' }));
    expect((await opened.peer.whenClosed()).code).toBe(4004);
    await expect.poll(() => count(agent.proc, 'handshake message on an open link; closing'), { timeout: 5000 }).toBe(1);

    // A fake agent that knows the secret, opens the link, then challenges the relay again.
    let code: number | undefined;
    const fake = trackServer(
      new FakeAgentServer((r) => {
        if (code !== undefined) return;
        void (async () => {
          const nonce = newNonce();
          r.send(frame('auth_challenge', { nonce, agent: 'house' }));
          const req = await r.waitFor('auth_request');
          const session = { agentNonce: nonce, relayNonce: req.payload.nonce, agent: 'house', client: req.payload.client };
          r.send(frame('auth_proof', { mac: linkProof(TEST_SECRET, 'agent->relay', session) }));
          await r.waitFor('auth_response');
          r.send(frame('auth_ok', { last_seq: 0 }));
          r.send(frame('auth_challenge', { nonce: newNonce(), agent: 'house' }));
          code = (await r.whenClosed()).code;
        })();
      }),
    );
    const port = await fake.listen();
    const relay = track(await startRelay(`ws://127.0.0.1:${port}/ws`));
    await expect.poll(() => code, { timeout: 15_000 }).toBe(4004);
    await expect.poll(() => count(relay.proc, 'handshake message on an open link; closing'), { timeout: 5000 }).toBe(1);
  });
});

describe('TLS on the agent link, pinned by the relay', () => {
  it('the agent off loopback serves wss with a self-signed certificate; the relay pins it, and refuses a man in the middle with another before writing a byte', async () => {
    // WS_HOST 0.0.0.0 is "off loopback": the agent makes its pair beside DB_PATH. Only 127.0.0.1 is dialled.
    const agent = track(await startAgent({ env: { WS_HOST: '0.0.0.0', SIM_SPEED: '60', BATCH_INTERVAL: '1' } }));
    const certLine = await agent.proc.waitForLog((l) => String(l.msg).startsWith('TLS certificate'));
    const fingerprint = String(certLine.fingerprint);
    expect(fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(existsSync(join(agent.dir, 'agent-tls-cert.pem'))).toBe(true);
    expect(agent.proc.stderr()).toContain(`agent TLS certificate SHA-256 fingerprint: ${fingerprint}`);
    // Plain ws is not served off loopback.
    await expect(connectToAgent(`ws://127.0.0.1:${agent.port}/ws`)).rejects.toThrow();

    // The man in the middle has its own certificate (it cannot have the agent's key).
    const otherDir = mkdtempSync(join(tmpdir(), 'boiler-mitm-'));
    running.push({ stop: async () => undefined, cleanup: () => rmSync(otherDir, { recursive: true, force: true }) });
    const other = await loadTlsPair({ role: 'relay', dataDir: otherDir });
    let connections = 0;
    let requests = 0;
    const mitm = trackServer(new FakeAgentServer(() => undefined, { cert: other.cert, key: other.key }));
    mitm.httpServer.on('connection', () => connections++);
    mitm.httpServer.on('request', () => requests++);
    mitm.httpServer.on('upgrade', () => requests++);
    const mitmPort = await mitm.listen();
    const fooled = track(await startRelay(`wss://127.0.0.1:${mitmPort}/ws`, { env: { PI_TLS_FINGERPRINT: fingerprint } }));
    const refused = await fooled.proc.waitForLog((l) => l.msg === 'agent certificate does not match PI_TLS_FINGERPRINT; connection refused');
    expect(refused.presented).toBe(other.fingerprint);
    expect(refused.expected).toBe(fingerprint);
    expect(connections).toBeGreaterThan(0); // it reached the man in the middle...
    expect(requests).toBe(0); // ...and wrote nothing on the socket, not even the HTTP upgrade
    expect(mitm.relays.length).toBe(0);
    expect((await linkView(fooled.url)).connected).toBe(false);

    // The real agent, pinned: linked and replicating over wss.
    const relay = track(await startRelay(`wss://127.0.0.1:${agent.port}/ws`, { env: { PI_TLS_FINGERPRINT: fingerprint.replace(/:/g, '').toLowerCase() } }));
    await expect.poll(async () => (await linkView(relay.url)).applied_seq, { timeout: 20_000 }).toBeGreaterThan(5);
    expect((await linkView(relay.url)).connected).toBe(true);
    await expect.poll(() => count(agent.proc, 'relay link open'), { timeout: 5000 }).toBe(1);
  });

  it('a wss:// PI_WS_URL without PI_TLS_FINGERPRINT, a pin on ws://, and ws:// off loopback are refused at start, one clear line each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'boiler-relay-conf-'));
    running.push({ stop: async () => undefined, cleanup: () => rmSync(dir, { recursive: true, force: true }) });
    const base = { DB_PATH: join(dir, 'relay.db'), HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', API_KEY: 'test-api-key-0123456789abcdef', SHARED_SECRET: TEST_SECRET };
    const cases: [Record<string, string>, string][] = [
      [{ PI_WS_URL: 'wss://127.0.0.1:8001/ws' }, 'config: PI_TLS_FINGERPRINT: required with a wss:// PI_WS_URL'],
      [{ PI_WS_URL: 'ws://127.0.0.1:8001/ws', PI_TLS_FINGERPRINT: 'AB'.repeat(32) }, 'config: PI_TLS_FINGERPRINT: set, but PI_WS_URL is ws://'],
      [{ PI_WS_URL: 'ws://10.77.0.2:8001/ws' }, 'config: PI_WS_URL: ws:// only reaches an agent on this machine'],
      [{ PI_WS_URL: 'wss://127.0.0.1:8001/ws', PI_TLS_FINGERPRINT: 'not-a-fingerprint' }, 'PI_TLS_FINGERPRINT'],
    ];
    for (const [env, line] of cases) {
      const p = startProcess('nas-relay/src/main.ts', { ...base, ...env });
      const exit = await p.exited;
      expect(exit.code).toBe(2);
      expect(p.stderr()).toContain(line);
      await stopProcess(p);
    }
  });
});
