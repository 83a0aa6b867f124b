import { createServer, type IncomingMessage, type Server } from 'node:http';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadTlsPair } from '@boiler/service';

/** One notice as a receiver got it. */
export interface Received {
  /** ntfy, gotify, the webhook's path, or email:<user>:<tls|plain>. */
  channel: string;
  /** The notice's id as the channel carries it (sequence id, extras, body, Message-ID). */
  id: string;
  title: string;
  text: string;
  headers: IncomingMessage['headers'];
  at: number;
}

/**
 * Real receivers on 127.0.0.1 for the relay's notifications: one HTTP server standing in for ntfy
 * (`/ntfy`), Gotify (`/gotify/message`) and webhooks (any other path), recording what each was
 * sent, and a real SMTP server (smtp-server) that requires STARTTLS and the password given. Each
 * path can be told to fail (`behaviour.set('/hook', 503)`) or to hold the request unanswered ('hang').
 */
export class NotifyReceivers {
  readonly received: Received[] = [];
  readonly behaviour = new Map<string, 'ok' | number | 'hang'>();
  /** GET requests (a HEARTBEAT_URL's pings), by path, with the time each came. */
  readonly pings: { path: string; at: number }[] = [];
  httpUrl = '';
  smtpPort = 0;
  /** The SMTP server's self-signed certificate (PEM), written to `caFile` for the e-mail channel's ca_file. */
  caFile = '';
  private http: Server | undefined;
  private smtp: SMTPServer | undefined;

  constructor(
    private readonly dir: string,
    readonly smtpUser = 'owner',
    readonly smtpPassword = 'smtp-password-for-the-test',
  ) {}

  async start(): Promise<this> {
    this.http = createServer((req, res) => {
      void (async () => {
        const text = await bodyOf(req);
        const path = (req.url ?? '/').split('?')[0] ?? '/';
        const how = this.behaviour.get(path) ?? 'ok';
        if (how === 'hang') return;
        if (how !== 'ok') {
          res.writeHead(how).end('receiver says no');
          return;
        }
        if (req.method === 'GET') {
          this.pings.push({ path, at: Date.now() });
          res.writeHead(200).end('OK');
          return;
        }
        let json: Record<string, unknown>;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          res.writeHead(400).end('not JSON');
          return;
        }
        const at = Date.now();
        if (path.startsWith('/ntfy')) {
          this.received.push({ channel: 'ntfy', id: String(req.headers['x-sequence-id']), title: String(json.title), text: String(json.message), headers: req.headers, at });
        } else if (path.startsWith('/gotify')) {
          const extras = json.extras as Record<string, { id: string } | undefined> | undefined;
          this.received.push({ channel: 'gotify', id: extras?.['boiler::notice']?.id ?? '', title: String(json.title), text: String(json.message), headers: req.headers, at });
        } else {
          this.received.push({ channel: path.slice(1), id: String(json.id), title: String(json.title), text: String(json.message), headers: req.headers, at });
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      })();
    });
    await new Promise<void>((r) => this.http?.listen(0, '127.0.0.1', r));
    const addr = this.http.address();
    this.httpUrl = `http://127.0.0.1:${typeof addr === 'object' && addr !== null ? addr.port : 0}`;

    const tls = await loadTlsPair({ role: 'relay', dataDir: join(this.dir, 'smtp-tls') });
    this.caFile = join(this.dir, 'smtp-ca.pem');
    writeFileSync(this.caFile, tls.cert);
    this.smtp = new SMTPServer({
      key: tls.key,
      cert: tls.cert,
      authMethods: ['PLAIN', 'LOGIN'],
      // No password before STARTTLS.
      allowInsecureAuth: false,
      onAuth: (auth, _session, cb) => {
        if (auth.username === this.smtpUser && auth.password === this.smtpPassword) cb(null, { user: auth.username });
        else cb(new Error('Invalid username or password'));
      },
      onData: (stream, session, cb) => {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString('latin1')));
        stream.on('end', () => {
          const id = /^Message-ID: <([^@>]+)@/im.exec(raw)?.[1] ?? '';
          const subject = (/^Subject: (.*)$/im.exec(raw)?.[1] ?? '').replace(/^\[boiler\] /, '');
          this.received.push({ channel: `email:${String(session.user)}:${session.secure ? 'tls' : 'plain'}`, id, title: subject, text: quotedPrintable(raw), headers: {}, at: Date.now() });
          cb();
        });
      },
      logger: false,
    });
    await new Promise<void>((r) => this.smtp?.listen(0, '127.0.0.1', r));
    const sa = this.smtp.server.address();
    this.smtpPort = typeof sa === 'object' && sa !== null ? sa.port : 0;
    return this;
  }

  async stop(): Promise<void> {
    if (this.smtp !== undefined) await new Promise<void>((r) => this.smtp?.close(r));
    this.http?.closeAllConnections();
    if (this.http !== undefined) await new Promise<void>((r) => this.http?.close(() => r()));
  }

  reset(): void {
    this.behaviour.clear();
    this.received.length = 0;
    this.pings.length = 0;
  }

  titled(part: string): Received[] {
    return this.received.filter((r) => r.title.includes(part));
  }

  /** The four channels as a notifications file's entries (secrets by env: TEST_NTFY_TOKEN, TEST_SMTP_PASSWORD; Gotify's token in a file). */
  channelEntries(): Record<string, unknown>[] {
    writeFileSync(join(this.dir, 'gotify-token'), 'gotify-app-token\n', { mode: 0o600 });
    return [
      { type: 'ntfy', name: 'ntfy', url: `${this.httpUrl}/ntfy`, topic: 'boiler', token: { env: 'TEST_NTFY_TOKEN' } },
      { type: 'gotify', name: 'gotify', url: `${this.httpUrl}/gotify/`, token: { file: join(this.dir, 'gotify-token') } },
      { type: 'webhook', name: 'hook', url: `${this.httpUrl}/hook` },
      { type: 'email', name: 'mail', host: '127.0.0.1', port: this.smtpPort, user: this.smtpUser, password: { env: 'TEST_SMTP_PASSWORD' }, from: 'relay@example.org', to: ['owner@example.org'], ca_file: this.caFile },
    ];
  }

  /** The environment the entries' secrets are read from. */
  secretEnv(): Record<string, string> {
    return { TEST_NTFY_TOKEN: 'ntfy-token', TEST_SMTP_PASSWORD: this.smtpPassword };
  }

  /** The receivers' names for `channelEntries()`, as `Received.channel` has them. */
  get channelNames(): string[] {
    return ['ntfy', 'gotify', 'hook', `email:${this.smtpUser}:tls`];
  }
}

/** The mail's text as written (nodemailer sends non-ASCII text quoted-printable). */
function quotedPrintable(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  return Buffer.from(joined.replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
}

function bodyOf(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}
