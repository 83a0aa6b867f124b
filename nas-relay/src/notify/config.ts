import { readFileSync } from 'node:fs';
import { isAbsolute, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '@boiler/shared';

/**
 * The notifications file (NOTIFY_FILE, JSON): the channels the relay tells the owner through.
 * A secret is never written in the file itself: it names a file (Docker secrets, a 0600 file) or
 * an environment variable to read it from, so the file can be shown, copied and kept in a
 * backup without giving anything away. Every problem is reported at once, naming its path.
 */

/** Where a secret comes from: `{ "file": "/run/secrets/ntfy_token" }` or `{ "env": "NTFY_TOKEN" }`. */
const SecretRef = z.union([
  z.strictObject({ file: z.string().min(1).max(500) }),
  z.strictObject({ env: z.string().regex(/^[A-Z_][A-Z0-9_]{0,63}$/, 'an environment variable name (A-Z, 0-9, _)') }),
]);
export type SecretRef = z.infer<typeof SecretRef>;

const ChannelName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, 'lower-case letters, digits, - and _, at most 32');
const HttpUrl = z
  .string()
  .max(500)
  .refine((u) => {
    try {
      const p = new URL(u).protocol;
      return p === 'http:' || p === 'https:';
    } catch {
      return false;
    }
  }, 'an http:// or https:// URL');
/** ntfy's priorities: 1 (min) to 5 (max). */
const Priority = z.number().int().min(1).max(5);

const Ntfy = z.strictObject({
  type: z.literal('ntfy'),
  name: ChannelName,
  /** The server, e.g. https://ntfy.sh or a self-hosted one. */
  url: HttpUrl,
  topic: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, - and _ (at most 64)'),
  token: SecretRef.optional(),
  /** For start and reminder notices; freeze risk always goes at 5, resolved ones at 3. */
  priority: Priority.default(4),
  tags: z.array(z.string().regex(/^[a-z0-9_+-]{1,40}$/)).max(10).default([]),
});

const Gotify = z.strictObject({
  type: z.literal('gotify'),
  name: ChannelName,
  url: HttpUrl,
  /** The application token. */
  token: SecretRef,
  priority: z.number().int().min(0).max(10).default(8),
});

const Webhook = z.strictObject({
  type: z.literal('webhook'),
  name: ChannelName,
  url: HttpUrl,
  /** Sent as `Authorization: Bearer …` when set. */
  token: SecretRef.optional(),
});

const Email = z.strictObject({
  type: z.literal('email'),
  name: ChannelName,
  host: z.string().min(1).max(253),
  port: z.number().int().min(1).max(65535).default(587),
  /**
   * `starttls` (port 587): the connection must upgrade to TLS before anything is sent, or the
   * notice is not sent (never the password in the clear). `tls`: TLS from the first byte (465).
   */
  security: z.enum(['starttls', 'tls']).default('starttls'),
  user: z.string().min(1).max(200).optional(),
  password: SecretRef.optional(),
  from: z.string().email(),
  to: z.array(z.string().email()).min(1).max(20),
  /** The CA to trust for a self-hosted server with its own certificate (a PEM file). */
  ca_file: z.string().min(1).max(500).optional(),
});

export const ChannelConfig = z.discriminatedUnion('type', [Ntfy, Gotify, Webhook, Email]);
export type ChannelConfig = z.infer<typeof ChannelConfig>;

export const NotifyFile = z
  .strictObject({
    channels: z.array(ChannelConfig).max(20),
  })
  .superRefine((file, ctx) => {
    const seen = new Set<string>();
    file.channels.forEach((c, i) => {
      if (seen.has(c.name)) ctx.addIssue({ code: 'custom', path: ['channels', i, 'name'], message: `"${c.name}" is used by another channel` });
      seen.add(c.name);
      if (c.type === 'email' && (c.user === undefined) !== (c.password === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['channels', i, 'password'], message: 'user and password go together' });
      }
    });
  });
export type NotifyFile = z.infer<typeof NotifyFile>;

/** A channel with its secrets read: what the senders use. Never logged (see `describeChannel`). */
export type ResolvedChannel = ChannelConfig & { secrets: { token?: string; password?: string; ca?: string } };

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
}

/** The secret a reference names; a problem (never the value) in `problems` when it cannot be read. */
function readSecretRef(ref: SecretRef, where: string, baseDir: string, env: NodeJS.ProcessEnv, problems: string[]): string | undefined {
  if ('env' in ref) {
    const v = env[ref.env];
    if (v === undefined || v.trim() === '') problems.push(`${where}: the environment variable ${ref.env} is not set`);
    return v?.trim();
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
  try {
    const v = readFileSync(path, 'utf8').trim();
    if (v === '') problems.push(`${where}: ${path} is empty`);
    return v;
  } catch (err) {
    problems.push(`${where}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

/**
 * Reads and checks the notifications file and the secrets it names. Throws a ConfigError listing
 * every problem (the file's shape, every unreadable secret) so one edit can fix them all.
 */
export function loadNotifyFile(path: string, env: NodeJS.ProcessEnv = process.env): ResolvedChannel[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError([`NOTIFY_FILE: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError([`NOTIFY_FILE: ${path} is not JSON (${(err as Error).message.slice(0, 200)})`]);
  }
  return resolveNotifyFile(json, dirname(path), env, path);
}

/** Checks a parsed notifications file and reads its secrets (relative secret files are found beside it). */
export function resolveNotifyFile(json: unknown, baseDir: string, env: NodeJS.ProcessEnv, label = 'NOTIFY_FILE'): ResolvedChannel[] {
  const parsed = NotifyFile.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${label}: ${issuePath(i.path) || '(file)'}: ${i.message}`));
  }
  const problems: string[] = [];
  const channels = parsed.data.channels.map((c, i): ResolvedChannel => {
    const where = (field: string) => `${label}: channels[${i}] (${c.name}).${field}`;
    const secrets: ResolvedChannel['secrets'] = {};
    const read = (ref: SecretRef, field: string) => readSecretRef(ref, where(field), baseDir, env, problems) ?? '';
    if ('token' in c && c.token !== undefined) secrets.token = read(c.token, 'token');
    if (c.type === 'email') {
      if (c.password !== undefined) secrets.password = read(c.password, 'password');
      if (c.ca_file !== undefined) secrets.ca = read({ file: c.ca_file }, 'ca_file');
    }
    return { ...c, secrets };
  });
  if (problems.length > 0) throw new ConfigError(problems);
  return channels;
}

/** What may be shown of a channel (the UI's settings, the log): its kind and where it goes, secrets masked. */
export function describeChannel(c: ChannelConfig): { name: string; type: ChannelConfig['type']; target: string; secret: boolean } {
  switch (c.type) {
    case 'ntfy':
      return { name: c.name, type: c.type, target: `${new URL(c.url).origin}/${c.topic}`, secret: c.token !== undefined };
    case 'gotify':
      return { name: c.name, type: c.type, target: new URL(c.url).origin, secret: true };
    case 'webhook': {
      const u = new URL(c.url);
      return { name: c.name, type: c.type, target: `${u.origin}${u.pathname}`, secret: c.token !== undefined };
    }
    case 'email':
      return { name: c.name, type: c.type, target: `${c.to.join(', ')} via ${c.host}:${c.port}`, secret: c.password !== undefined };
  }
}
