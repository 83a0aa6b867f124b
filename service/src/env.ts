import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { loadConfig, parseDotenv, ConfigError, envSecret } from '@boiler/shared';

/**
 * A part's configuration: its `.env` file (when present in `dir`) under the process
 * environment, checked by the part's schema.
 */
export function loadPartConfig<S extends z.ZodObject>(
  schema: S,
  options: { dir: string; env?: NodeJS.ProcessEnv },
): z.infer<S> {
  const file = join(options.dir, '.env');
  const dotenv = existsSync(file) ? parseDotenv(readFileSync(file, 'utf8')) : {};
  return loadConfig(schema, options.env ?? process.env, dotenv);
}

/**
 * Reads the link secret given inline (SHARED_SECRET, already checked by the part's schema) or as
 * a file (SHARED_SECRET_FILE: Docker and systemd credentials); the file wins, and its content
 * is held to the same rules (length, not the example's placeholder). Throws ConfigError.
 * `variable` names the file's variable in the messages (API_KEY_FILE reads the same way).
 */
export function readSecret(inline: string | undefined, file: string | undefined, variable = 'SHARED_SECRET_FILE'): string | undefined {
  if (file === undefined) return inline;
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new ConfigError([`${variable}: cannot read ${file}: ${(err as Error).message}`]);
  }
  const checked = envSecret.safeParse(text);
  if (!checked.success) throw new ConfigError(checked.error.issues.map((i) => `${variable}: the secret in ${file}: ${i.message}`));
  return checked.data;
}

/** Runs a part's startup, printing one line per configuration problem and exiting 2 on them. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`config: ${p}\n`);
    process.exit(2);
  }
  throw err;
}
