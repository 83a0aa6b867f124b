import type { ChildProcess } from 'node:child_process';
import { Agent as HttpAgent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import type { EventEntry } from '@boiler/shared';
import { CommandQueue, SqliteCommandQueueStore, type CommandTransport, type CommandTransportListener } from '../nas-relay/src/queue/index.js';
import { Replica } from '../nas-relay/src/replica/index.js';
import { startAgent, type AgentUnderTest } from '../test/support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../test/support/relay-process.js';
import { LiveClient } from '../test/support/live-client.js';
import { TEST_API_KEY } from '../test/support/agent-process.js';
import { COMMAND_STAGE_MSG, monotonicMicros, type CommandStage } from '@boiler/service';
import { quantile, type BenchRow } from './table.js';
import { peer } from './peer.js';


/** Round trips of a raw ws message through a middle process to a far process and back. */
async function rawTwoHopEcho(n: number): Promise<number[]> {
  const far = await peer('echo-agent.ts');
  const mid = await peer('echo-relay.ts', [String(far.info.port)]);
  try {
    const ws = new WebSocket(`ws://127.0.0.1:${String(mid.info.port)}`, { perMessageDeflate: false });
    await new Promise((r) => ws.once('open', r));
    const times: number[] = [];
    const payload = JSON.stringify({ v: 1, type: 'command_request', ts: 0, payload: { pad: 'x'.repeat(200) } });
    for (let i = 0; i < n + 50; i++) {
      const t0 = performance.now();
      ws.send(payload);
      await new Promise((r) => ws.once('message', r));
      if (i >= 50) times.push(performance.now() - t0);
    }
    ws.close();
    return times;
  } finally {
    mid.child.kill();
    far.child.kill();
  }
}

/**
 * The bare durable round trip: the relay's and the agent's durable steps and nothing else (HTTP
 * POST -> commit, handed on, synced before the 202 -> ws -> FULL insert -> ws -> commit -> live ws
 * frame), their files on the same disk as the rig's. The floor a durable design can reach on this
 * machine: the echo has no disk.
 */
async function bareDurableRoundTrip(n: number): Promise<number[]> {
  const far = await peer('durable-agent.ts');
  const mid = await peer('durable-relay.ts', [String(far.info.port)]);
  const url = `http://127.0.0.1:${String(mid.info.port)}`;
  const poster = new CommandPoster(url);
  const ws = new WebSocket(`ws://127.0.0.1:${String(mid.info.port)}/live`, { perMessageDeflate: false });
  try {
    await new Promise((r) => ws.once('open', r));
    const times: number[] = [];
    for (let i = 0; i < n + 50; i++) {
      const id = randomUUID();
      const seen = new Promise<void>((resolve) => {
        const on = (data: WebSocket.RawData) => {
          if (String(data).includes(id)) {
            ws.off('message', on);
            resolve();
          }
        };
        ws.on('message', on);
      });
      const t0 = performance.now();
      const posted = await poster.post({ id, body: { type: 'setpoint', zone: `Z${(i % 13) + 1}`, setpoint_c: 16 + (i % 8), override: 'permanent' } });
      if (posted.status !== 202) throw new Error(`bare relay answered ${posted.status}`);
      await seen;
      if (i >= 50) times.push(performance.now() - t0);
    }
    return times;
  } finally {
    ws.close();
    poster.close();
    mid.child.kill();
    far.child.kill();
  }
}

/** MQTT QoS 1 request/response through the local Mosquitto, answered by another process. */
async function mqttRoundTrip(n: number): Promise<number[] | null> {
  let responder: ChildProcess | undefined;
  try {
    responder = (await peer('mqtt-responder.ts')).child;
  } catch {
    return null;
  }
  const client = mqtt.connect('mqtt://127.0.0.1:1883', { clientId: `bench-${process.pid}`, clean: true });
  try {
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    await client.subscribeAsync('boiler/bench/res/#', { qos: 1 });
    const times: number[] = [];
    for (let i = 0; i < n + 50; i++) {
      const id = randomUUID();
      const t0 = performance.now();
      const answered = new Promise<void>((resolve) => {
        const on = (topic: string) => {
          if (topic.endsWith(id)) {
            client.off('message', on);
            resolve();
          }
        };
        client.on('message', on);
      });
      await client.publishAsync(`boiler/bench/req/${id}`, 'x'.repeat(200), { qos: 1 });
      await answered;
      if (i >= 50) times.push(performance.now() - t0);
    }
    return times;
  } finally {
    client.end(true);
    responder.kill();
  }
}

/** A system under test: an agent on the simulator, a relay linked to it, and a UI on the relay's live socket. */
interface CommandRig {
  agent: AgentUnderTest;
  relay: RelayUnderTest;
  live: LiveClient;
}

async function withRig<T>(logLevel: string, fn: (rig: CommandRig) => Promise<T>): Promise<T> {
  let agent: AgentUnderTest | undefined;
  let relay: RelayUnderTest | undefined;
  let live: LiveClient | undefined;
  try {
    agent = await startAgent({ env: { SIM_SPEED: '1', API_RATE_LIMIT: '100000', LOG_LEVEL: logLevel } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { LOG_LEVEL: logLevel, API_RATE_LIMIT: '100000' } });
    await relay.proc.waitForLog((l) => l.msg === 'agent link open');
    live = await LiveClient.open(relay.url);
    return await fn({ agent, relay, live });
  } finally {
    live?.close();
    await relay?.stop();
    await agent?.stop();
    relay?.cleanup();
    agent?.cleanup();
  }
}

/** One command's round trip as the UI sees it, in the bench's monotonic µs: POSTed, and its final state on the live socket. */
interface RoundTrip {
  id: string;
  postedUs: number;
  liveUs: number;
}

/**
 * POSTs commands to the relay over one kept-alive connection with node:http, as a UI's browser
 * keeps its connection: the round trip is the relay's and the agent's, not a client's setup. (The
 * test helper's fetch, undici, spent about a millisecond of its own before the request left.)
 */
class CommandPoster {
  private readonly agent = new HttpAgent({ keepAlive: true, maxSockets: 1 });
  private readonly url: URL;

  constructor(relayUrl: string) {
    this.url = new URL('/api/commands', relayUrl);
  }

  post(body: unknown): Promise<{ status: number; body: string }> {
    const data = JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data), authorization: `Bearer ${TEST_API_KEY}` },
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

/** POSTs `n` setpoint commands one after another (after `warmUp` unmeasured ones), each awaited to `succeeded` on the live socket. */
async function roundTrips({ relay, live }: CommandRig, n: number, warmUp: number): Promise<RoundTrip[]> {
  const poster = new CommandPoster(relay.url);
  try {
    return await postEach(poster, live, n, warmUp);
  } finally {
    poster.close();
  }
}

async function postEach(poster: CommandPoster, live: LiveClient, n: number, warmUp: number): Promise<RoundTrip[]> {
  const trips: RoundTrip[] = [];
  for (let i = 0; i < n + warmUp; i++) {
    const id = randomUUID();
    let liveUs = 0;
    const done = live
      .waitFor((m) => m.type === 'command' && m.command.id === id && (m.command.state === 'succeeded' || m.command.state === 'failed'))
      .then(() => {
        liveUs = monotonicMicros();
      });
    // A POST that throws leaves this wait behind; its timeout must not reject into nobody.
    done.catch(() => undefined);
    const postedUs = monotonicMicros();
    const posted = await poster.post({ id, body: { type: 'setpoint', zone: `Z${(i % 13) + 1}`, setpoint_c: 16 + (i % 8), override: 'permanent' } });
    if (posted.status !== 202) throw new Error(`POST answered ${posted.status}: ${posted.body.slice(0, 200)}`);
    await done;
    if (i >= warmUp) trips.push({ id, postedUs, liveUs });
    live.messages.length = 0;
  }
  return trips;
}

/** The legs of a command's life, each from one stamp to the next; `posted` and `live` are the bench's, the rest the relay's and the agent's. */
const LEGS: readonly { name: string; from: CommandStage | 'posted'; to: CommandStage | 'live' }[] = [
  { name: 'POST -> request at the relay (client, loopback)', from: 'posted', to: 'request' },
  { name: 'request -> accepted by the queue (body, parse)', from: 'request', to: 'accepted' },
  { name: 'accepted -> stored (relay commit)', from: 'accepted', to: 'stored' },
  { name: 'stored -> sent (marked sent, handed to the link)', from: 'stored', to: 'sent' },
  { name: 'sent -> received by the agent', from: 'sent', to: 'received' },
  { name: 'received -> committed (decode, execute, agent commit)', from: 'received', to: 'committed' },
  { name: 'committed -> answer sent (its events first)', from: 'committed', to: 'answered' },
  { name: 'answer sent -> received by the relay', from: 'answered', to: 'answer_received' },
  { name: 'answer received -> stored (relay commit)', from: 'answer_received', to: 'answer_stored' },
  { name: 'stored -> live ws frame sent', from: 'answer_stored', to: 'live_sent' },
  { name: 'live frame sent -> seen by the UI', from: 'live_sent', to: 'live' },
];

/**
 * Where a command's round trip goes: the same round trips with both processes at LOG_LEVEL=trace,
 * so each writes a line with a monotonic stamp (one clock for every process on the host) as a
 * command reaches each stage. Its own run, so the stamping does not touch the figures above.
 */
async function breakdown(n: number): Promise<BenchRow[]> {
  return withRig('trace', async (rig) => {
    const trips = await roundTrips(rig, n, 20);
    const last = trips[trips.length - 1];
    if (last === undefined) return [];
    // The lines are written asynchronously: wait for the last command's last ones.
    await rig.relay.proc.waitForLog((l) => l.msg === COMMAND_STAGE_MSG && l.id === last.id && l.stage === 'live_sent');
    await rig.agent.proc.waitForLog((l) => l.msg === COMMAND_STAGE_MSG && l.id === last.id && l.stage === 'answered');
    const stamps = new Map<string, Map<string, number>>();
    for (const line of [...rig.relay.proc.lines, ...rig.agent.proc.lines]) {
      if (line.msg !== COMMAND_STAGE_MSG || typeof line.id !== 'string' || typeof line.stage !== 'string' || typeof line.at_us !== 'number') continue;
      let byStage = stamps.get(line.id);
      if (byStage === undefined) stamps.set(line.id, (byStage = new Map()));
      // The first time a command reached a stage (a retry would reach some twice).
      if (!byStage.has(line.stage)) byStage.set(line.stage, line.at_us);
    }
    const title = `command round trip breakdown (a traced run of ${trips.length}: both processes at LOG_LEVEL=trace; stamps on the host's monotonic clock)`;
    const rows: BenchRow[] = [];
    for (const leg of LEGS) {
      const spans: number[] = [];
      for (const t of trips) {
        const at = (stage: string) => (stage === 'posted' ? t.postedUs : stage === 'live' ? t.liveUs : stamps.get(t.id)?.get(stage));
        const from = at(leg.from);
        const to = at(leg.to);
        if (from !== undefined && to !== undefined) spans.push((to - from) / 1000);
      }
      rows.push({ suite: 'commands', name: leg.name, value: quantile(spans, 0.5), p99: quantile(spans, 0.99), unit: 'ms', detail: title });
    }
    const totals = trips.map((t) => (t.liveUs - t.postedUs) / 1000);
    rows.push({ suite: 'commands', name: 'total (this traced run)', value: quantile(totals, 0.5), p99: quantile(totals, 0.99), unit: 'ms', detail: title });
    return rows;
  });
}

/** A link that is always up and hands every command to the bench, which answers it when it likes. */
class BenchTransport implements CommandTransport {
  readonly connected = true;
  private readonly listeners = new Set<CommandTransportListener>();
  send(): boolean {
    return true;
  }
  listen(listener: CommandTransportListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  succeed(id: string, seq: number): void {
    for (const l of this.listeners) l.commandResult?.({ id, outcome: 'succeeded', error: null, seq, finished_at: Date.now() });
  }
}

/**
 * The relay's two commits on a command's path, in-process: an accept (stored as sent, handed to
 * the link, and on the disk: what the 202 waits for) and an answer (stored as succeeded: its sync
 * follows, nothing waits on it), for the queue in its own file and for the queue sharing one file
 * with the replica, with the replica applying what the agent sends before each answer (the
 * command's event; every tenth time a batch of 14 samples). Both, and a raw one-row insert under
 * synchronous FULL (the floor), take turns in each iteration, so all three see the same disk and
 * the same neighbours. `handed` is the part of the accept before the link has the command.
 */
export async function benchQueueCommits(n = 300): Promise<BenchRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'boiler-bench-queue-'));
  const log = pino({ level: 'silent' });
  try {
    const rig = (name: string, own: boolean) => {
      const replicaPath = join(dir, `${name}.db`);
      const replica = Replica.open(replicaPath);
      const store = own ? SqliteCommandQueueStore.openBeside(replicaPath) : SqliteCommandQueueStore.open(replicaPath);
      const transport = new BenchTransport();
      const queue = new CommandQueue(store, transport, { now: () => Date.now() }, {}, log);
      queue.start();
      return { name, replica, store, transport, queue, seq: 0, handed: [] as number[], accept: [] as number[], answer: [] as number[] };
    };
    const rigs = [rig('own', true), rig('shared', false)];
    const raw = new Database(join(dir, 'raw.db'));
    raw.pragma('journal_mode = WAL');
    raw.pragma('synchronous = FULL');
    raw.exec('CREATE TABLE t (id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT');
    const rawInsert = raw.prepare('INSERT INTO t (id, body) VALUES (?, ?)');
    const rawTimes: number[] = [];
    const warmUp = 30;
    for (let i = 0; i < n + warmUp; i++) {
      for (const r of rigs) {
        const id = randomUUID();
        const t0 = performance.now();
        r.queue.enqueue({ id, body: { type: 'setpoint', zone: `Z${(i % 13) + 1}`, setpoint_c: 16 + (i % 8), override: 'permanent' } }, 'bench');
        const handed = performance.now();
        await r.queue.durable();
        const t1 = performance.now();
        const now = Date.now();
        const events: EventEntry[] = [{ seq: ++r.seq, ts: now, source: 'command', zone: 'Z1', event: 'COMMAND', room_c: null, pipe_c: null, outdoor_c: null, duration_s: null, detail: id }];
        if (i % 10 === 0) {
          for (let z = 1; z <= 14; z++) events.push({ seq: ++r.seq, ts: now + z, source: 'sampler', zone: `Z${z}`, event: 'SAMPLE', room_c: 20, pipe_c: 40, outdoor_c: 0, duration_s: null, detail: 'on' });
        }
        r.replica.applyEvents(events);
        const t2 = performance.now();
        r.transport.succeed(id, r.seq);
        const t3 = performance.now();
        if (i >= warmUp) {
          r.handed.push(handed - t0);
          r.accept.push(t1 - t0);
          r.answer.push(t3 - t2);
        }
      }
      const t0 = performance.now();
      raw.transaction(() => rawInsert.run(randomUUID(), 'x'.repeat(300))).immediate();
      if (i >= warmUp) rawTimes.push(performance.now() - t0);
    }
    raw.close();
    const floor = { name: 'raw 1-row insert, FULL, p50', value: quantile(rawTimes, 0.5) };
    const rows: BenchRow[] = [];
    for (const r of rigs) {
      r.queue.stop();
      r.store.close();
      r.replica.close();
      const where = r.name === 'own' ? 'own file' : 'one file with the replica';
      rows.push({ suite: 'commands', name: `relay accept commit, synced, p50 (queue in ${where})`, value: quantile(r.accept, 0.5), unit: 'ms', floor });
      rows.push({ suite: 'commands', name: `relay answer commit p50 (queue in ${where})`, value: quantile(r.answer, 0.5), unit: 'ms', floor });
    }
    const title = `the relay's commits in-process, ${n} commands (queue in its own file vs in one file with the replica, beside a raw 1-row FULL insert; interleaved)`;
    for (const r of rigs) {
      const where = r.name === 'own' ? 'own file' : 'one file with the replica';
      rows.push({ suite: 'commands', name: `accept -> handed to the link (queue in ${where})`, value: quantile(r.handed, 0.5), p99: quantile(r.handed, 0.99), unit: 'ms', detail: title });
      rows.push({ suite: 'commands', name: `accept -> on the disk (queue in ${where})`, value: quantile(r.accept, 0.5), p99: quantile(r.accept, 0.99), unit: 'ms', detail: title });
      rows.push({ suite: 'commands', name: `answer (queue in ${where})`, value: quantile(r.answer, 0.5), p99: quantile(r.answer, 0.99), unit: 'ms', detail: title });
    }
    rows.push({ suite: 'commands', name: 'raw 1-row insert, FULL', value: quantile(rawTimes, 0.5), p99: quantile(rawTimes, 0.99), unit: 'ms', detail: title });
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Command round trip: POST on the relay -> `succeeded` on the live ws (durable at both ends:
 * the relay's queue and the agent's log use synchronous FULL), beside a raw two-hop ws echo and
 * an MQTT QoS 1 request/response measured in the same run; then the breakdown of where it goes.
 */
export async function benchCommands(n = 200): Promise<BenchRow[]> {
  const times = await withRig('info', async (rig) => (await roundTrips(rig, n, 20)).map((t) => (t.liveUs - t.postedUs) / 1000));
  const echo = await rawTwoHopEcho(n);
  const bare = await bareDurableRoundTrip(n);
  const mq = await mqttRoundTrip(n);
  const echoP50 = quantile(echo, 0.5);
  const bareP50 = quantile(bare, 0.5);
  const rows: BenchRow[] = [
    {
      suite: 'commands',
      name: 'round trip p50 (POST -> succeeded on live ws)',
      value: quantile(times, 0.5),
      unit: 'ms',
      floor: { name: 'raw 2-hop ws echo p50', value: echoP50 },
      target: { text: 'p50 ≤ 3x the raw echo', met: quantile(times, 0.5) <= 3 * echoP50 },
    },
    {
      suite: 'commands',
      name: 'round trip p50, beside the bare durable round trip (same disk)',
      value: quantile(times, 0.5),
      unit: 'ms',
      floor: { name: 'bare durable round trip p50 (peers/durable-*.ts)', value: bareP50 },
    },
    { suite: 'commands', name: 'bare durable round trip p50, beside the raw echo (what the disk adds)', value: bareP50, unit: 'ms', floor: { name: 'raw 2-hop ws echo p50', value: echoP50 } },
    { suite: 'commands', name: 'round trip p95', value: quantile(times, 0.95), unit: 'ms' },
    {
      suite: 'commands',
      name: 'round trip p99',
      value: quantile(times, 0.99),
      unit: 'ms',
      floor: { name: 'raw 2-hop ws echo p99', value: quantile(echo, 0.99) },
      target: { text: 'p99 < 10 ms', met: quantile(times, 0.99) < 10 },
    },
  ];
  if (mq !== null) {
    rows.push({ suite: 'commands', name: 'MQTT QoS 1 request/response p50 (Mosquitto)', value: quantile(mq, 0.5), unit: 'ms' });
    rows.push({ suite: 'commands', name: 'MQTT QoS 1 request/response p99 (Mosquitto)', value: quantile(mq, 0.99), unit: 'ms' });
  } else {
    rows.push({ suite: 'commands', name: 'MQTT QoS 1 request/response: no Mosquitto on 127.0.0.1:1883', value: Number.NaN, unit: '' });
  }
  rows.push(...(await breakdown(Math.min(n, 100))));
  rows.push(...(await benchQueueCommits()));
  return rows;
}
