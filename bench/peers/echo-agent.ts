// The far end of the raw two-hop echo: a ws server that sends every message straight back.
import { WebSocketServer } from 'ws';

const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
wss.on('listening', () => {
  const a = wss.address();
  console.log(JSON.stringify({ port: typeof a === 'object' && a !== null ? a.port : 0 }));
});
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
