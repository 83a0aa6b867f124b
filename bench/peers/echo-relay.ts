// The middle hop of the raw two-hop echo: forwards each client message to the far end and each reply back.
import WebSocket from 'ws';
import { loopbackServer } from './loopback-server.js';

const upstreamPort = Number(process.argv[2]);
const wss = loopbackServer();
wss.on('connection', (client) => {
  const up = new WebSocket(`ws://127.0.0.1:${upstreamPort}`, { perMessageDeflate: false });
  const pending: Buffer[] = [];
  up.on('open', () => {
    for (const p of pending.splice(0)) up.send(p);
  });
  up.on('message', (data) => client.send(data as Buffer));
  client.on('message', (data) => (up.readyState === up.OPEN ? up.send(data as Buffer) : pending.push(data as Buffer)));
  client.on('close', () => up.close());
});
