import { connect } from 'node:net';
import { request } from 'node:http';

/**
 * Sends a websocket upgrade for `path` on a raw socket (the target exactly as written) and
 * resolves with what came back once the server closed the socket; rejects when the server
 * leaves it open.
 */
export function rawUpgrade(baseUrl: string, path: string, headers: Record<string, string> = {}): Promise<string> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
    socket.on('error', reject);
    // 'close' only comes when the server ends the socket; one left open fails here rather than at the test's timeout.
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server left the socket of an upgrade to ${path} open; it answered: ${JSON.stringify(text)}`));
    }, 15_000);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
    const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('');
    socket.write(
      `GET ${path} HTTP/1.1\r\nhost: ${hostname}\r\nconnection: Upgrade\r\nupgrade: websocket\r\n` +
        `sec-websocket-version: 13\r\nsec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\n${extra}\r\n`,
    );
  });
}

/** An HTTP request with the target sent exactly as written (fetch normalises paths). */
export function rawRequest(baseUrl: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<{ status: number; type: string; body: string }> {
  const { hostname, port } = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port: Number(port), path, method, headers }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body }));
    });
    req.on('error', reject);
    req.end();
  });
}
