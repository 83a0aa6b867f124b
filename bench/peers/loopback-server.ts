import { WebSocketServer } from 'ws';

/**
 * A ws server for a bench peer: on 127.0.0.1 at a free port, no compression, and once it listens the
 * peer's first line on stdout is {"port": N}, which peer() in bench/peer.ts waits for.
 */
export function loopbackServer(): WebSocketServer {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  wss.on('listening', () => {
    const a = wss.address();
    console.log(JSON.stringify({ port: typeof a === 'object' && a !== null ? a.port : 0 }));
  });
  return wss;
}
