import WebSocket from 'ws';
import { LiveServerMessage } from '@boiler/shared';
import { TEST_API_KEY } from './agent-process.js';

/** A UI's live socket on the relay, collecting every message to wait on. */
export class LiveClient {
  readonly messages: LiveServerMessage[] = [];
  private waiters: { pred: (m: LiveServerMessage) => boolean; resolve: (m: LiveServerMessage) => void }[] = [];
  private constructor(readonly ws: WebSocket) {}

  static async open(relayUrl: string, key = TEST_API_KEY): Promise<LiveClient> {
    const ws = new WebSocket(`${relayUrl.replace(/^http/, 'ws')}/api/live`);
    const c = new LiveClient(ws);
    ws.on('message', (data) => {
      const m = LiveServerMessage.parse(JSON.parse(data.toString()));
      c.messages.push(m);
      for (const w of [...c.waiters]) {
        if (w.pred(m)) {
          c.waiters.splice(c.waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    ws.send(JSON.stringify({ type: 'auth', key }));
    await c.waitFor((m) => m.type === 'snapshot');
    return c;
  }

  waitFor(pred: (m: LiveServerMessage) => boolean, timeoutMs = 20_000): Promise<LiveServerMessage> {
    const found = this.messages.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out waiting for a live message')), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** The states a command went through, in the order the live socket reported them. */
  statesOf(id: string): string[] {
    const states: string[] = [];
    for (const m of this.messages) if (m.type === 'command' && m.command.id === id && states[states.length - 1] !== m.command.state) states.push(m.command.state);
    return states;
  }

  close(): void {
    this.ws.close();
  }
}

export async function postRelayCommand(relayUrl: string, body: unknown, key: string = TEST_API_KEY): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${relayUrl}/api/commands`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
