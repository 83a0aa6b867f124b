import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { loadConfig, parseDotenv, ConfigError } from '@boiler/shared';

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

/** Reads a secret given inline or as a file (Docker and systemd credentials); the file wins. */
export function readSecret(inline: string | undefined, file: string | undefined): string | undefined {
  if (file !== undefined) return readFileSync(file, 'utf8').trim();
  return inline;
}

/** Runs a part's startup, printing one line per configuration problem and exiting 2 on them. */
export function exitOnConfigError(err: unknown): never {
  if (err instanceof ConfigError) {
    for (const p of err.problems) process.stderr.write(`config: ${p}\n`);
    process.exit(2);
  }
  throw err;
}
