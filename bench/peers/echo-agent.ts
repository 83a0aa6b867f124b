// The far end of the raw two-hop echo: a ws server that sends every message straight back.
import { loopbackServer } from './loopback-server.js';

const wss = loopbackServer();
wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
