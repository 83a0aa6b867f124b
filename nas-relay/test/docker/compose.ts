import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';

// Runs `docker-compose config` (validation and normalisation, offline: no Docker engine needed)
// and reads its output as JSON: Compose v2 prints JSON itself; v1 (Debian's docker-compose
// 1.29) prints YAML, read back with the PyYAML its own Python interpreter already has.

export const INSTALL_HINT = 'docker-compose is not installed: run scripts/install-test-deps.sh (as root) to install it';

/** The docker-compose program on PATH, or undefined. */
export function findDockerCompose(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'docker-compose');
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

export interface ComposeRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Variables that would change what compose reads, left out so the run sees only the files. */
const COMPOSE_VARIABLES = /^(COMPOSE_|DOCKER_|RELAY_PORT$)/;

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !COMPOSE_VARIABLES.test(k)));
}

function result(r: SpawnSyncReturns<string>): ComposeRun {
  if (r.error !== undefined) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Compose's major version (1 or 2 and later), from `docker-compose version --short`. */
export function composeMajor(program: string): number {
  const r = result(spawnSync(program, ['version', '--short'], { encoding: 'utf8', env: cleanEnv(), timeout: 30_000 }));
  const m = /^v?(\d+)\./.exec(r.stdout.trim());
  if (r.status !== 0 || m === null) throw new Error(`docker-compose version --short failed (${r.status}): ${r.stdout}${r.stderr}`);
  return Number(m[1]);
}

/**
 * `docker-compose -f FILE --project-directory DIR config`: relative paths in FILE (build
 * context, env_file) resolve against DIR, so a scratch folder can stand in for nas-relay/.
 */
export function composeConfig(program: string, file: string, projectDirectory: string, extra: string[] = []): ComposeRun {
  return result(
    spawnSync(program, ['-f', file, '--project-directory', projectDirectory, 'config', ...extra], {
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 60_000,
    }),
  );
}

/** The normalised configuration as a plain object. */
export function composeConfigJson(program: string, file: string, projectDirectory: string): unknown {
  if (composeMajor(program) >= 2) {
    const r = composeConfig(program, file, projectDirectory, ['--format', 'json']);
    if (r.status !== 0) throw new Error(`docker-compose config failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout);
  }
  const r = composeConfig(program, file, projectDirectory);
  if (r.status !== 0) throw new Error(`docker-compose config failed (${r.status}): ${r.stderr}`);
  const python = /^#!\s*(\S+)/.exec(readFileSync(program, 'utf8').split('\n', 1)[0] ?? '')?.[1];
  if (python === undefined) throw new Error(`${program}: no #! line naming its Python, so its YAML cannot be read back`);
  const y = result(
    spawnSync(python, ['-c', 'import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)'], {
      input: r.stdout,
      encoding: 'utf8',
      timeout: 30_000,
    }),
  );
  if (y.status !== 0) throw new Error(`reading docker-compose's YAML with ${python} failed: ${y.stderr}`);
  return JSON.parse(y.stdout);
}
