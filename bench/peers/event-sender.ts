// The far end of the raw replica-lag floor: to each connection, sends argv[2] ON/OFF event frames
// argv[3] ms apart, each stamped with Date.now() as the agent stamps its events.
import { loopbackServer } from './loopback-server.js';

const count = Number(process.argv[2]);
const spacingMs = Number(process.argv[3]);
const wss = loopbackServer();
wss.on('connection', (ws) => {
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    const ts = Date.now();
    const event = { seq, ts, source: 'control', zone: `Z${(seq % 14) + 1}`, event: seq % 2 === 0 ? 'OFF' : 'ON', room_c: 19.5, pipe_c: null, outdoor_c: -5, duration_s: null, detail: 'schedule setpoint 20 °C, room 19.5 °C' };
    ws.send(JSON.stringify({ v: 1, type: 'event_log_entry', seq, ts, payload: { first_seq: seq, last_seq: seq, events: [event] } }));
    if (seq >= count) clearInterval(timer);
  }, spacingMs);
  ws.on('close', () => clearInterval(timer));
});
