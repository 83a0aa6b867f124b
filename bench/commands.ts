import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import { startAgent, type AgentUnderTest } from '../test/support/agent-process.js';
import { startRelay, type RelayUnderTest } from '../test/support/relay-process.js';
import { LiveClient, postRelayCommand } from '../test/support/live-client.js';
import { quantile, type BenchRow } from './table.js';

const root = join(import.meta.dirname, '..');

function peer(script: string, args: string[] = []): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'peers', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, info: JSON.parse(line) as Record<string, unknown> }));
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}

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

/**
 * Command round trip: POST on the relay -> `succeeded` on the live ws (durable at both ends:
 * the relay's queue and the agent's log use synchronous FULL), beside a raw two-hop ws echo and
 * an MQTT QoS 1 request/response measured in the same run.
 */
export async function benchCommands(n = 200): Promise<BenchRow[]> {
  let agent: AgentUnderTest | undefined;
  let relay: RelayUnderTest | undefined;
  let live: LiveClient | undefined;
  try {
    agent = await startAgent({ env: { SIM_SPEED: '1', API_RATE_LIMIT: '100000' } });
    relay = await startRelay(`ws://127.0.0.1:${agent.port}/ws`, { env: { LOG_LEVEL: 'info', API_RATE_LIMIT: '100000' } });
    await relay.proc.waitForLog((l) => l.msg === 'agent link open');
    live = await LiveClient.open(relay.url);
    const times: number[] = [];
    for (let i = 0; i < n + 20; i++) {
      const id = randomUUID();
      const t0 = performance.now();
      const done = live.waitFor((m) => m.type === 'command' && m.command.id === id && (m.command.state === 'succeeded' || m.command.state === 'failed'));
      const posted = await postRelayCommand(relay.url, { id, body: { type: 'setpoint', zone: `Z${(i % 13) + 1}`, setpoint_c: 16 + (i % 8), override: 'permanent' } });
      if (posted.status !== 202) throw new Error(`POST answered ${posted.status}: ${JSON.stringify(posted.body)}`);
      await done;
      if (i >= 20) times.push(performance.now() - t0);
      live.messages.length = 0;
    }
    const echo = await rawTwoHopEcho(n);
    const mq = await mqttRoundTrip(n);
    const echoP50 = quantile(echo, 0.5);
    const rows: BenchRow[] = [
      {
        suite: 'commands',
        name: 'round trip p50 (POST -> succeeded on live ws)',
        value: quantile(times, 0.5),
        unit: 'ms',
        floor: { name: 'raw 2-hop ws echo p50', value: echoP50 },
        target: { text: 'p50 ≤ 3x the raw echo', met: quantile(times, 0.5) <= 3 * echoP50 },
      },
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
    return rows;
  } finally {
    live?.close();
    await relay?.stop();
    await agent?.stop();
    relay?.cleanup();
    agent?.cleanup();
  }
}
