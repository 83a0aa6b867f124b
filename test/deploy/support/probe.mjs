// Run inside a namespace by the deploy tests: a TCP connect or an HTTPS request, answered as one JSON line.
//   node probe.mjs connect HOST PORT           -> {"ok":true} or {"ok":false,"error":"ETIMEDOUT"}
//   node probe.mjs request METHOD URL [BODY]   -> {"ok":true,"status":202,"body":{...}} (API_KEY from the environment)
import net from 'node:net';
import https from 'node:https';

const [mode, ...rest] = process.argv.slice(2);
const done = (result) => {
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(0);
};
setTimeout(() => done({ ok: false, error: 'ETIMEDOUT' }), Number(process.env.PROBE_TIMEOUT_MS ?? 3000)).unref();

if (mode === 'connect') {
  const [host, port] = rest;
  const socket = net.connect({ host, port: Number(port) }, () => {
    socket.destroy();
    done({ ok: true });
  });
  socket.on('error', (err) => done({ ok: false, error: err.code ?? err.message }));
} else if (mode === 'request') {
  const [method, url, body] = rest;
  // The relay's self-signed certificate: the apps pin it; here the tunnel and the key are what is tested.
  const req = https.request(url, { method, rejectUnauthorized: false, headers: { authorization: `Bearer ${process.env.API_KEY}`, 'content-type': 'application/json' } }, (res) => {
    let text = '';
    res.on('data', (d) => (text += d));
    res.on('end', () => {
      let parsed;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
      done({ ok: true, status: res.statusCode, body: parsed });
    });
  });
  req.on('error', (err) => done({ ok: false, error: err.code ?? err.message }));
  if (body !== undefined) req.write(body);
  req.end();
} else {
  done({ ok: false, error: `unknown mode ${mode}` });
}
