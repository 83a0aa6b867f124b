import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { test, expect } from './support/site.js';
import { signIn } from './support/sign-in.js';
import { relayCommands } from './support/relay-commands.js';

/** A page of another origin (another port on 127.0.0.1: the same site, so a SameSite cookie still goes along). */
async function foreignOrigin(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>Elsewhere</title><p>Another site</p>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

test('after sign-in the session cookie is HttpOnly and the key is in no page storage', async ({ page, context, site }) => {
  await signIn(page, site.apiKey);
  const cookies = await context.cookies(site.url);
  const session = cookies.find((c) => c.name === 'boiler_session');
  expect(session).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
  expect(session?.value).not.toContain(site.apiKey);
  const seen = (await page.evaluate(`(async () => {
    const idb = [];
    for (const d of await indexedDB.databases()) idb.push(d.name);
    return { cookie: document.cookie, local: JSON.stringify(Object.entries(localStorage)), session: sessionStorage.length, idb };
  })()`)) as { cookie: string; local: string; session: number; idb: string[] };
  expect(seen.cookie).not.toContain('boiler_session');
  expect(seen.cookie).not.toContain(site.apiKey);
  expect(seen.local).not.toContain(site.apiKey);
  expect(seen.session).toBe(0);
  expect(seen.idb).toEqual([]);
});

test('a state-changing POST from a page of another origin is refused by the relay and queues nothing', async ({ page, site }) => {
  await signIn(page, site.apiKey);
  const foreign = await foreignOrigin();
  try {
    await page.goto(foreign.url);
    const id = randomUUID();
    const body = JSON.stringify({ id, body: { type: 'zone_mode', zone: 'Z11', mode: 'OFF' } });
    // text/plain is a "simple" request: the browser sends it with no preflight, cookie included,
    // so only the relay's own check of the Origin stands between this page and the boiler. The
    // answer is opaque to the page; Chromium's network log shows what went and what came back.
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    const sentHeaders = new Map<string, Record<string, string>>();
    cdp.on('Network.requestWillBeSentExtraInfo', (e) => sentHeaders.set(e.requestId, e.headers as Record<string, string>));
    const answered = new Promise<{ requestId: string; status: number }>((resolve) => {
      cdp.on('Network.responseReceived', (e) => {
        if (e.response.url === `${site.url}/api/commands`) resolve({ requestId: e.requestId, status: e.response.status });
      });
    });
    await page.evaluate(
      ([relay, payload]) =>
        fetch(`${relay}/api/commands`, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: payload }).then(
          () => 'sent',
          () => 'failed',
        ),
      [site.url, body] as const,
    );
    const response = await answered;
    // The headers as sent may be reported after the response.
    await expect.poll(() => sentHeaders.has(response.requestId)).toBe(true);
    const headers = sentHeaders.get(response.requestId) ?? {};
    const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1] ?? '';
    expect(header('cookie')).toContain('boiler_session=');
    expect(header('origin')).toBe(foreign.url);
    // With a good session cookie, a refusal (not 401) is the Origin check; its body is opaque to the page.
    expect(response.status).toBe(403);
    await cdp.detach();

    // A JSON POST needs a preflight, which the relay refuses, so it never goes at all.
    const preflighted = await page.evaluate(
      ([relay, payload]) =>
        fetch(`${relay}/api/commands`, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json' }, body: payload }).then(
          (r) => `answered ${r.status}`,
          () => 'blocked',
        ),
      [site.url, body] as const,
    );
    expect(preflighted).toBe('blocked');

    // Counted at the relay: nothing with that id, and no command like the forged one (other specs on
    // this shared site send Z11 a week of its own, which is not this).
    const all = await relayCommands(site);
    expect(all.filter((c) => c.id === id)).toEqual([]);
    expect(all.filter((c) => c.body.type === 'zone_mode' && 'zone' in c.body && c.body.zone === 'Z11')).toEqual([]);
  } finally {
    await new Promise<void>((resolve) => foreign.server.close(() => resolve()));
  }
});
