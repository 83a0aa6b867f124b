import { z } from 'zod';

/** Thrown when configuration is wrong; `problems` has one line per variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads a `.env` file's text: KEY=value lines, # comments, optional quotes, `export ` allowed. */
export function parseDotenv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1] as string;
    let value = (m[2] as string).trim();
    const quote = value[0];
    if ((quote === '"' || quote === "'") && value.endsWith(quote) && value.length >= 2) {
      value = value.slice(1, -1);
      if (quote === '"') value = value.replace(/\\n/g, '\n').replace(/\\"/g, '"');
    } else {
      const hash = value.indexOf(' #');
      if (hash >= 0) value = value.slice(0, hash).trim();
    }
    out[key] = value;
  }
  return out;
}

/**
 * Checks an environment against a part's schema, whose keys are the variable names.
 * Values from the process environment win over the `.env` file; empty strings count as unset.
 * Every problem is reported at once, one line each, naming the variable.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Readonly<Record<string, string | undefined>>,
  dotenv: Readonly<Record<string, string>> = {},
): z.infer<S> {
  const input: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const value = env[key] !== undefined && env[key] !== '' ? env[key] : dotenv[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const name = issue.path[0] === undefined ? '(config)' : String(issue.path[0]);
    const given = input[name];
    const shown = given === undefined ? 'unset' : /SECRET|KEY|PASSWORD|TOKEN/.test(name) ? 'given' : JSON.stringify(given);
    return `${name}: ${issue.message} (${shown})`;
  });
  throw new ConfigError(problems);
}

/** An environment variable holding a number within bounds. */
export function envNumber(options: { min: number; max: number; int?: boolean }) {
  let n = z.coerce.number({ error: 'expected a number' }).min(options.min).max(options.max);
  if (options.int === true) n = n.int();
  return n;
}

/** An environment variable holding a TCP port. */
export const envPort = z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535);

/**
 * Whether a secret is one of the placeholders of the example files (`REPLACE-ME-...` in
 * nas-relay/.env.example) rather than a real one: they are long enough to pass the length
 * check, and a copied example left as it is would otherwise guard the house with a secret
 * that is published in this repository.
 */
export function isPlaceholderSecret(value: string): boolean {
  return /replace[-_ ]?me|change[-_ ]?me|not[-_ ]a[-_ ]real/i.test(value);
}

/** An environment variable holding a secret or key: at least 16 characters, not an example placeholder. */
export const envSecret = z
  .string()
  .min(16, 'at least 16 characters')
  .refine((v) => !isPlaceholderSecret(v), 'is the placeholder of the example file; make a real one with: openssl rand -hex 32');

/** An environment variable holding true/false (also 1/0, yes/no). */
export const envBoolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const LogLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
