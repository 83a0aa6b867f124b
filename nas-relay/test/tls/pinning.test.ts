import { once } from 'node:events';
import { request as httpsRequest, createServer as createHttpsServer, type Server as HttpsServer, type Agent } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { CertificatePinError, TlsSetupError, connectPinned, loadRelayTls, pinnedAgent, type RelayTls } from '../../src/tls/index.js';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();

let served: RelayTls;
let stranger: RelayTls;
beforeAll(async () => {
  served = await loadRelayTls({ dataDir: tempDir(), hostName: 'relay-under-test' });
  // Another self-signed certificate: what a man in the middle would present.
  stranger = await loadRelayTls({ dataDir: tempDir(), hostName: 'relay-under-test' });
});

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function portOf(server: { address(): AddressInfo | string | null }): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('not listening');
  return address.port;
}

/** A real HTTPS server on 127.0.0.1 with the relay's certificate; counts the requests it got. */
async function startHttps(tls: RelayTls): Promise<{ server: HttpsServer; port: number; requests: () => number }> {
  let requests = 0;
  const server = createHttpsServer({ cert: tls.cert, key: tls.key }, (_req, res) => {
    requests++;
    res.end('hello from the relay');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    server.close();
    await once(server, 'close');
  });
  return { server, port: portOf(server), requests: () => requests };
}

function track(agent: Agent): Agent {
  closers.push(async () => agent.destroy());
  return agent;
}

/** GETs / and resolves with the status and body, or rejects with the request's error. */
function get(port: number, options: { agent?: Agent; headers?: Record<string, string> } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path: '/', method: 'GET', ...options }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pinnedAgent with https', () => {
  it('connects to the self-signed relay whose fingerprint it is pinned to, and keeps the connection for the next request', async () => {
    const { port, requests } = await startHttps(served);
    const agent = track(pinnedAgent(served.fingerprint, { keepAlive: true }));
    expect(await get(port, { agent })).toEqual({ status: 200, body: 'hello from the relay' });
    expect(await get(port, { agent })).toEqual({ status: 200, body: 'hello from the relay' });
    expect(requests()).toBe(2);
  });

  it('accepts the pin written without colons and in lower case', async () => {
    const { port } = await startHttps(served);
    const agent = track(pinnedAgent(served.fingerprint.replace(/:/g, '').toLowerCase()));
    expect((await get(port, { agent })).status).toBe(200);
  });

  it('refuses a server with another certificate before sending it anything, not even the API key', async () => {
    const { port, requests } = await startHttps(stranger);
    const agent = track(pinnedAgent(served.fingerprint));
    const err = await get(port, { agent, headers: { authorization: 'Bearer secret-api-key-0123456789' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CertificatePinError);
    expect(err).toMatchObject({ code: 'ERR_TLS_CERT_PIN_MISMATCH', expected: served.fingerprint, presented: stranger.fingerprint });
    expect(requests()).toBe(0);
  });

  it('is refused by a default client, which does not trust a self-signed certificate', async () => {
    const { port, requests } = await startHttps(served);
    const err = await get(port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as NodeJS.ErrnoException).code).toBe('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(requests()).toBe(0);
  });

  it('refuses a malformed pin when it is made, not when it connects', () => {
    expect(() => pinnedAgent('AB:CD')).toThrow(TlsSetupError);
  });
});

describe('pinnedAgent with ws', () => {
  async function startWss(tls: RelayTls): Promise<number> {
    const { server, port } = await startHttps(tls);
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${String(data)}`)));
    closers.push(async () => {
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    });
    return port;
  }

  it('opens a wss connection to the pinned relay', async () => {
    const port = await startWss(served);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { agent: track(pinnedAgent(served.fingerprint)) });
    closers.push(async () => ws.terminate());
    await once(ws, 'open');
    ws.send('ping');
    const [data] = (await once(ws, 'message')) as [Buffer];
    expect(String(data)).toBe('echo ping');
  });

  it('fails to open one to a server with another certificate', async () => {
    const port = await startWss(stranger);
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { agent: track(pinnedAgent(served.fingerprint)) });
    closers.push(async () => ws.terminate());
    const [err] = (await once(ws, 'error')) as [Error];
    expect(err).toBeInstanceOf(CertificatePinError);
  });
});

describe('connectPinned (raw TLS)', () => {
  async function startTls(tls: RelayTls): Promise<number> {
    const server: TlsServer = createTlsServer({ cert: tls.cert, key: tls.key }, (socket) => socket.end('tls hello'));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    closers.push(async () => {
      server.close();
      await once(server, 'close');
    });
    return portOf(server);
  }

  it('resolves with a socket to the pinned server', async () => {
    const port = await startTls(served);
    const socket = await connectPinned({ host: '127.0.0.1', port, fingerprint: served.fingerprint });
    closers.push(async () => void socket.destroy());
    // The chain is not trusted (self-signed); the pin is what let it through.
    expect(socket.authorized).toBe(false);
    socket.setEncoding('utf8');
    const [data] = (await once(socket, 'data')) as [string];
    expect(data).toBe('tls hello');
  });

  it('rejects a server with another certificate', async () => {
    const port = await startTls(stranger);
    await expect(connectPinned({ host: '127.0.0.1', port, fingerprint: served.fingerprint })).rejects.toBeInstanceOf(CertificatePinError);
  });

  it('gives up on a server that never finishes the handshake', async () => {
    const accepted: Socket[] = [];
    const silent: TcpServer = createTcpServer((socket) => {
      accepted.push(socket);
      // Read, so the client's hang-up is seen.
      socket.resume();
    });
    silent.listen(0, '127.0.0.1');
    await once(silent, 'listening');
    closers.push(async () => {
      for (const socket of accepted) socket.destroy();
      silent.close();
      await once(silent, 'close');
    });
    const started = performance.now();
    await expect(connectPinned({ host: '127.0.0.1', port: portOf(silent), fingerprint: served.fingerprint, handshakeTimeoutMs: 100 })).rejects.toThrow(/handshake .* took over 100 ms/);
    expect(performance.now() - started).toBeLessThan(2000);
    // The client hung up rather than leaving the connection open.
    const [serverSide] = accepted;
    if (serverSide === undefined) throw new Error('the server saw no connection');
    if (!serverSide.destroyed) await once(serverSide, 'close');
  });
});
