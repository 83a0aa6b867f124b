import { createTransport } from 'nodemailer';
import type { Notice } from './notice.js';
import type { ResolvedChannel } from './config.js';

/** A failed send, with a reason fit for the log, /health and the settings page (never a secret). */
export class SendError extends Error {
  override name = 'SendError';
}

const NTFY_PRIORITY: Record<Notice['urgency'], number> = { urgent: 5, high: 4, normal: 3 };
const NTFY_TAGS: Record<Notice['kind'], string> = { start: 'warning', reminder: 'warning', resolved: 'white_check_mark', test: 'bell' };

async function post(url: string, init: { headers: Record<string, string>; body: string }, signal: AbortSignal): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', headers: init.headers, body: init.body, signal, redirect: 'error' });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new SendError(signal.aborted ? 'no answer in time' : `${e.cause?.code ?? e.name}: ${e.message}`.slice(0, 200));
  }
  // Drained either way, so the connection can be reused.
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new SendError(`HTTP ${res.status}${text === '' ? '' : `: ${text.replace(/\s+/g, ' ').slice(0, 120)}`}`);
}

/** The notice as one plain line of text after its title: what, where, when. */
function body(n: Notice): string {
  return `${n.message}\n${new Date(n.at).toISOString()}${n.zone === null ? '' : ` · zone ${n.zone}`}`;
}

/**
 * Sends one notice through one channel; resolves once the receiver has accepted it, rejects with
 * a SendError otherwise. `signal` ends a send that takes too long. Each carries the notice's id
 * where the receiver can use it to drop a repeat: ntfy's sequence id (a retried notice replaces
 * the first on ntfy 2.16 and later), the e-mail's Message-ID, the webhook's Idempotency-Key.
 */
export async function sendNotice(channel: ResolvedChannel, n: Notice, signal: AbortSignal): Promise<void> {
  switch (channel.type) {
    case 'ntfy': {
      const priority = n.kind === 'start' || n.kind === 'reminder' ? Math.max(channel.priority, NTFY_PRIORITY[n.urgency]) : NTFY_PRIORITY[n.urgency];
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-sequence-id': n.id,
      };
      if (channel.secrets.token !== undefined) headers.authorization = `Bearer ${channel.secrets.token}`;
      await post(
        channel.url,
        { headers, body: JSON.stringify({ topic: channel.topic, title: n.title, message: body(n), priority, tags: [NTFY_TAGS[n.kind], ...channel.tags], sequence_id: n.id }) },
        signal,
      );
      return;
    }
    case 'gotify': {
      // Gotify may sit under a path (https://nas/gotify/): the route is relative to it.
      const url = new URL('message', channel.url.endsWith('/') ? channel.url : `${channel.url}/`);
      const priority = n.urgency === 'urgent' ? 10 : n.urgency === 'high' ? channel.priority : Math.min(channel.priority, 5);
      await post(
        url.toString(),
        {
          headers: { 'content-type': 'application/json', 'x-gotify-key': channel.secrets.token ?? '' },
          body: JSON.stringify({ title: n.title, message: body(n), priority, extras: { 'boiler::notice': { id: n.id, episode: n.episode, kind: n.kind, source: n.source, zone: n.zone } } }),
        },
        signal,
      );
      return;
    }
    case 'webhook': {
      const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': n.id };
      if (channel.secrets.token !== undefined) headers.authorization = `Bearer ${channel.secrets.token}`;
      await post(channel.url, { headers, body: JSON.stringify(n) }, signal);
      return;
    }
    case 'email': {
      const transport = createTransport({
        host: channel.host,
        port: channel.port,
        secure: channel.security === 'tls',
        // STARTTLS required: without it nothing is sent (the password never goes in the clear).
        requireTLS: channel.security === 'starttls',
        ...(channel.user === undefined ? {} : { auth: { user: channel.user, pass: channel.secrets.password ?? '' } }),
        ...(channel.secrets.ca === undefined ? {} : { tls: { ca: channel.secrets.ca } }),
        connectionTimeout: 10_000,
        greetingTimeout: 10_000,
        socketTimeout: 15_000,
      });
      const abort = () => transport.close();
      signal.addEventListener('abort', abort, { once: true });
      try {
        await transport.sendMail({
          from: channel.from,
          to: channel.to,
          subject: `[boiler] ${n.title}`,
          text: body(n),
          messageId: `<${n.id}@boiler-relay>`,
          headers: { 'X-Boiler-Episode': n.episode, 'X-Boiler-Kind': n.kind },
          priority: n.urgency === 'urgent' ? 'high' : 'normal',
        });
      } catch (err) {
        const e = err as Error & { code?: string; responseCode?: number };
        throw new SendError(signal.aborted ? 'no answer in time' : `${e.code ?? 'SMTP'}${e.responseCode === undefined ? '' : ` ${e.responseCode}`}: ${e.message}`.slice(0, 200));
      } finally {
        signal.removeEventListener('abort', abort);
        transport.close();
      }
      return;
    }
  }
}
