import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isBuiltin } from 'node:module';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { validate } from 'dockerfile-utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDotenv } from '@boiler/shared';
import { RelayEnv } from '../../src/config.js';
import { INSTALL_HINT, composeConfig, composeConfigJson, findDockerCompose } from './compose.js';
import {
  execForm,
  filesUnder,
  hasWildcard,
  parseCopy,
  parseDockerignore,
  parseStages,
  splitFlags,
  type CopyInstruction,
  type Instruction,
  type Stage,
} from './dockerfile.js';

// The relay's container files, checked offline (this machine has no Docker engine): the compose
// file through `docker-compose config`, the Dockerfile through dockerfile-utils and by reading
// what it does, the build context against .dockerignore, and the HEALTHCHECK by running it.
// What only a real `docker build` shows (npm ci over the network, the compile, the image
// starting) is not covered here.

const root = join(import.meta.dirname, '..', '..', '..');
const relayDir = join(root, 'nas-relay');
const read = (path: string): string => readFileSync(join(root, path), 'utf8');

const dockerfileText = read('nas-relay/Dockerfile');
const stages: Stage[] = parseStages(dockerfileText);
const buildStage = stages[0] as Stage;
const finalStage = stages.at(-1) as Stage;
const copies: CopyInstruction[] = stages.flatMap((s) => s.instructions.filter((i) => i.keyword === 'COPY').map(parseCopy));
const contextCopies = copies.filter((c) => c.from === undefined);
const contextSources = contextCopies.flatMap((c) => c.sources.map((s) => posix.normalize(s).replace(/\/+$/, '')));

/** COPY sources that may be missing from the context, and the path each stands for. */
const OPTIONAL_SOURCES: Record<string, string> = {
  // The built web UI (`npm run build`); without it the relay serves a placeholder page.
  'out/rendere[r]': 'out/renderer',
};

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  workspaces?: string[];
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}
const pkg = (dir: string): PackageJson => JSON.parse(read(posix.join(dir, 'package.json'))) as PackageJson;
const rootPkg = pkg('.');
const relayPkg = pkg('nas-relay');

/** The workspace folders the relay needs: nas-relay and every workspace it depends on, transitively. */
function relayWorkspaces(): string[] {
  const byName = new Map((rootPkg.workspaces ?? []).map((dir) => [pkg(dir).name, dir]));
  const found = new Set<string>();
  const visit = (dir: string): void => {
    if (found.has(dir)) return;
    found.add(dir);
    for (const dep of Object.keys(pkg(dir).dependencies ?? {})) {
      const ws = byName.get(dep);
      if (ws !== undefined) visit(ws);
    }
  };
  visit('nas-relay');
  return [...found].sort();
}

function instructions(stage: Stage, keyword: string): Instruction[] {
  return stage.instructions.filter((i) => i.keyword === keyword);
}

function envOf(stage: Stage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { args } of instructions(stage, 'ENV')) {
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) {
      for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|'[^']*'|\S*)/g)) env.set(m[1] as string, (m[2] as string).replace(/^["']|["']$/g, ''));
    } else {
      const [key, ...value] = args.split(/\s+/);
      env.set(key as string, value.join(' '));
    }
  }
  return env;
}

function healthcheck(): { flags: Map<string, string>; command: string[] } {
  const [hc, ...more] = instructions(finalStage, 'HEALTHCHECK');
  if (hc === undefined || more.length > 0) throw new Error('the final stage needs exactly one HEALTHCHECK');
  const { flags, rest } = splitFlags(hc.args);
  const m = /^CMD\s+(.*)$/i.exec(rest);
  if (m === null) throw new Error(`HEALTHCHECK is not a CMD: ${hc.args}`);
  const command = execForm(m[1] as string);
  if (command === undefined) throw new Error('HEALTHCHECK CMD should be in exec (JSON) form: no shell needed');
  return { flags, command };
}

function seconds(duration: string | undefined): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration ?? '');
  if (m === null) throw new Error(`not a duration: ${duration}`);
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60 }[m[2] as 'ms' | 's' | 'm'];
}

// -------------------------------------------------------------------------------------------

describe('nas-relay/.env.example', () => {
  const text = read('nas-relay/.env.example');
  const listed = new Set([...text.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1] as string));

  it("lists every variable of README's relay table and of the relay's config schema", () => {
    const readme = read('README.md');
    const section = /^### Relay[^\n]*\n([\s\S]*?)(?=^#{2,3} )/m.exec(readme)?.[1];
    expect(section, 'README.md has a "### Relay" section').toBeDefined();
    const tableRows = (section ?? '').split('\n').filter((l) => l.startsWith('| `'));
    const fromReadme = tableRows.flatMap((row) => [...(row.split('|')[1] ?? '').matchAll(/`([A-Z][A-Z0-9_]*)`/g)].map((m) => m[1] as string));
    expect(fromReadme.length).toBeGreaterThanOrEqual(12);
    const fromSchema = Object.keys(RelayEnv.shape);
    const missing = [...new Set([...fromReadme, ...fromSchema])].filter((v) => !listed.has(v));
    expect(missing, 'variables missing from nas-relay/.env.example').toEqual([]);
  });

  it('is plain KEY=value lines that compose v1 and the relay read alike (no quotes, no trailing comments)', () => {
    const bad = text.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('#') && !/^[A-Z][A-Z0-9_]*=[^\s"'#]*$/.test(l));
    expect(bad).toEqual([]);
  });

  it("holds placeholders the relay's config check refuses (so a copy left unfilled cannot start), and nothing else it refuses", () => {
    const values = parseDotenv(text);
    for (const key of ['SHARED_SECRET', 'API_KEY'] as const) {
      expect(values[key], key).toMatch(/replace|change|example|not-a-real/i);
    }
    let problems: readonly string[] = [];
    try {
      loadConfig(RelayEnv, {}, values);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['API_KEY', 'SHARED_SECRET']);
    const config = loadConfig(RelayEnv, {}, { ...values, SHARED_SECRET: 'a-real-looking-secret-0123456789', API_KEY: 'a-real-looking-key-0123456789' });
    // The Pi over WireGuard: a private address, text only (nothing here contacts it).
    const url = new URL(config.PI_WS_URL);
    expect(url.protocol).toMatch(/^wss?:$/);
    expect(url.hostname).toMatch(/^(10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/);
  });
});

// -------------------------------------------------------------------------------------------

describe('nas-relay/docker-compose.yml (docker-compose config)', () => {
  const composeFile = join(relayDir, 'docker-compose.yml');
  let scratch: string;
  let projectDir: string;
  let ownEnvBefore: boolean;

  /** The docker-compose program, or a failure that says how to install it (never a skip). */
  function compose(): string {
    const program = findDockerCompose();
    if (program === undefined) throw new Error(INSTALL_HINT);
    return program;
  }

  beforeAll(() => {
    ownEnvBefore = existsSync(join(relayDir, '.env'));
    // A stand-in for nas-relay/ holding .env (made from .env.example), so the owner's own
    // nas-relay/.env is neither read nor touched; build.context `..` then resolves to `scratch`.
    scratch = mkdtempSync(join(tmpdir(), 'relay-compose-'));
    projectDir = join(scratch, 'nas-relay');
    mkdirSync(projectDir);
    copyFileSync(join(relayDir, '.env.example'), join(projectDir, '.env'));
  });
  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
    // Nothing left behind in the repository.
    expect(existsSync(join(relayDir, '.env'))).toBe(ownEnvBefore);
  });

  it('validates: `docker-compose config` exits 0', () => {
    const r = composeConfig(compose(), composeFile, projectDir, ['--quiet']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.status, r.stderr).toBe(0);
  });

  it('fails on a broken copy (so the check above means something)', () => {
    const broken = join(projectDir, 'broken.yml');
    writeFileSync(broken, readFileSync(composeFile, 'utf8').replace(/^(\s+)restart:/m, '$1restartt:'));
    const r = composeConfig(compose(), broken, projectDir, ['--quiet']);
    expect(r.status).not.toBe(0);
  });

  describe('normalised output', () => {
    interface Service {
      build?: { context: string; dockerfile: string };
      image?: string;
      command?: string[] | string;
      environment?: Record<string, string | null>;
      env_file?: unknown;
      secrets?: (string | { source: string; target?: string })[];
      read_only?: boolean;
      tmpfs?: string[] | string;
      volumes?: (string | { type?: string; source?: string; target: string })[];
      ports?: (string | { target: number | string; published?: number | string })[];
      depends_on?: string[] | Record<string, unknown>;
      restart?: string;
      healthcheck?: { test?: string[] | string; disable?: boolean };
    }
    interface Config {
      services: Record<string, Service>;
      volumes?: Record<string, unknown>;
      secrets?: Record<string, { file?: string }>;
    }
    let config: Config;
    let relay: Service;
    let redis: Service;
    beforeAll(() => {
      const program = findDockerCompose();
      if (program === undefined) return;
      config = composeConfigJson(program, composeFile, projectDir) as Config;
      relay = config.services.relay as Service;
      redis = config.services.redis as Service;
    });
    const loaded = (): void => {
      if (config === undefined) throw new Error(INSTALL_HINT);
    };

    it('has the relay and redis services, both restart unless-stopped', () => {
      loaded();
      expect(Object.keys(config.services).sort()).toEqual(['redis', 'relay']);
      expect(relay.restart).toBe('unless-stopped');
      expect(redis.restart).toBe('unless-stopped');
    });

    it('builds the relay from the repository root with nas-relay/Dockerfile', () => {
      loaded();
      expect(relay.build?.context).toBe(scratch);
      expect(relay.build?.dockerfile).toBe('nas-relay/Dockerfile');
      // The context of the real file is the repository root: the Dockerfile is there.
      expect(existsSync(join(root, relay.build?.dockerfile ?? '-'))).toBe(true);
    });

    it('gives the relay its .env, the redis cache, the /data volume and port 8000', () => {
      loaded();
      const env = relay.environment ?? {};
      // From env_file .env (here: .env.example).
      expect(env.PI_WS_URL).toBe(parseDotenv(read('nas-relay/.env.example')).PI_WS_URL);
      // From the compose file, over .env.
      expect(env.REDIS_URL).toBe('redis://redis:6379');
      expect(Object.keys(config.services)).toContain(new URL(env.REDIS_URL ?? 'redis://-').hostname);
      expect(env.DB_PATH).toBe('/data/relay.db');
      expect(env.HTTP_HOST).toBe('0.0.0.0');
      expect(String(env.HTTP_PORT)).toBe('8000');

      const mounts = (relay.volumes ?? []).map((v) => {
        if (typeof v !== 'string') return { source: v.source, target: v.target };
        const [source, target] = v.split(':');
        return { source, target };
      });
      const data = mounts.find((m) => m.target === '/data');
      expect(data, 'a volume mounted at /data').toBeDefined();
      expect(Object.keys(config.volumes ?? {}), 'a named volume declared at the top level').toContain(data?.source);

      const ports = (relay.ports ?? []).map((p) => (typeof p === 'string' ? p : `${p.published}:${p.target}`));
      expect(ports).toContain('8000:8000');

      const dependsOn = Array.isArray(relay.depends_on) ? relay.depends_on : Object.keys(relay.depends_on ?? {});
      expect(dependsOn).toContain('redis');
      // Not switched off here: the image's HEALTHCHECK applies (checked below).
      expect(relay.healthcheck?.disable ?? false).toBe(false);
    });

    it('hands the relay its secrets as files (Docker secrets), never as environment values', () => {
      loaded();
      const env = relay.environment ?? {};
      const mounted = (relay.secrets ?? []).map((s) => (typeof s === 'string' ? s : s.source)).sort();
      expect(mounted).toEqual(['api_key', 'shared_secret']);
      expect(Object.keys(config.secrets ?? {}).sort()).toEqual(['api_key', 'shared_secret']);
      expect(config.secrets?.shared_secret?.file).toBe(join(projectDir, 'secrets', 'shared_secret'));
      expect(config.secrets?.api_key?.file).toBe(join(projectDir, 'secrets', 'api_key'));
      // Where Docker mounts a service's secret by default, and what the relay reads through *_FILE.
      expect(env.SHARED_SECRET_FILE).toBe('/run/secrets/shared_secret');
      expect(env.API_KEY_FILE).toBe('/run/secrets/api_key');
      // A secret .env still holds (here: .env.example's placeholders) is blanked, so it never reaches the container.
      expect(parseDotenv(read('nas-relay/.env.example')).SHARED_SECRET).toMatch(/REPLACE-ME/);
      expect(env.SHARED_SECRET).toBe('');
      expect(env.API_KEY).toBe('');
      // What the relay's config makes of that environment: no inline secret, both files, and the
      // off-loopback key check satisfied by the file.
      const checked = loadConfig(RelayEnv, env as Record<string, string>);
      expect(checked).toMatchObject({ SHARED_SECRET_FILE: '/run/secrets/shared_secret', API_KEY_FILE: '/run/secrets/api_key', HTTP_HOST: '0.0.0.0' });
      expect(checked.SHARED_SECRET).toBeUndefined();
      expect(checked.API_KEY).toBeUndefined();
    });

    it('runs the relay read-only, with only /data (its volume) and a /tmp tmpfs writable', () => {
      loaded();
      expect(relay.read_only).toBe(true);
      const tmpfs = Array.isArray(relay.tmpfs) ? relay.tmpfs : [relay.tmpfs ?? ''];
      expect(tmpfs.map((t) => t.split(':')[0])).toEqual(['/tmp']);
      const targets = (relay.volumes ?? []).map((v) => (typeof v === 'string' ? v.split(':')[1] : v.target));
      expect(targets).toEqual(['/data']);
    });

    it('runs a pinned Redis as a cache only, with a redis-cli ping healthcheck', () => {
      loaded();
      expect(redis.image).toMatch(/^redis:7\.\d+(\.\d+)?-alpine$/);
      const test = redis.healthcheck?.test;
      expect(Array.isArray(test) ? test.join(' ') : test).toMatch(/redis-cli ping/);
      const command = Array.isArray(redis.command) ? redis.command : (redis.command ?? '').split(/\s+/);
      expect(command[command.indexOf('--save') + 1]).toBe('');
      expect(command[command.indexOf('--appendonly') + 1]).toBe('no');
      expect(redis.ports ?? [], 'Redis is not published on the NAS').toEqual([]);
    });
  });
});

// -------------------------------------------------------------------------------------------

describe('nas-relay/Dockerfile: dockerfile-utils', () => {
  it('has no errors or warnings', () => {
    const diagnostics = validate(dockerfileText).map((d) => `line ${d.range.start.line + 1}: ${d.message}`);
    expect(diagnostics).toEqual([]);
  });

  it('reports a broken copy (so the check above means something)', () => {
    expect(validate(dockerfileText.replace(/^EXPOSE 8000$/m, 'EXPOSE port-eight-thousand')).length).toBeGreaterThan(0);
    expect(validate(dockerfileText.replace(/^STOPSIGNAL SIGTERM$/m, 'STOPSIGNAL')).length).toBeGreaterThan(0);
  });
});

describe('nas-relay/Dockerfile: structure', () => {
  it('has a build stage and a runtime stage on the same pinned node bookworm-slim image', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) {
      expect(stage.image).toMatch(/^node:20\.\d+\.\d+-bookworm-slim$/);
    }
    // The same Node in both: better-sqlite3 is compiled in one and loaded in the other.
    expect(finalStage.image).toBe(buildStage.image);
    // And a Node the repository supports (engines: >=20.19).
    const [major, minor] = (/^node:(\d+)\.(\d+)/.exec(buildStage.image) ?? []).slice(1).map(Number) as [number, number];
    const [wantMajor, wantMinor] = (/>=\s*(\d+)\.(\d+)/.exec(rootPkg.engines?.node ?? '') ?? []).slice(1).map(Number) as [number, number];
    expect(major * 1000 + minor).toBeGreaterThanOrEqual(wantMajor * 1000 + wantMinor);
  });

  it('compiles in the build stage and installs only the relay workspace, from the lockfile, without dev dependencies', () => {
    const runs = instructions(buildStage, 'RUN').map((i) => i.args);
    const apt = runs.find((r) => /apt-get install/.test(r)) ?? '';
    for (const tool of ['python3', 'make', 'g++']) expect(apt.split(/\s+/), tool).toContain(tool);
    const ci = runs.find((r) => /\bnpm ci\b/.test(r)) ?? '';
    expect(ci).toMatch(/(--workspace[= ]|-w )nas-relay\b/);
    expect(ci).toMatch(/--omit[= ]dev\b/);
    expect(dockerfileText, 'npm install would ignore the lockfile').not.toMatch(/\bnpm (install|i)\b/);
  });

  it('copies the package.json of exactly the workspaces the relay needs, and each exists', () => {
    const wanted = relayWorkspaces();
    expect(wanted).toEqual(['nas-relay', 'service', 'shared']);
    const manifests = contextSources.filter((s) => s.endsWith('package.json'));
    expect(manifests).toContain('package.json');
    expect(contextSources).toContain('package-lock.json');
    expect(manifests.filter((m) => m !== 'package.json').map(dirname).sort()).toEqual(wanted);
    for (const m of [...manifests, 'package-lock.json']) expect(existsSync(join(root, m)), m).toBe(true);
    // And their sources.
    expect(contextSources.filter((s) => s.endsWith('/src')).map(dirname).sort()).toEqual(wanted);
  });

  it('has a lockfile in step with the package.json files it copies (npm ci refuses otherwise)', () => {
    interface LockEntry {
      version?: string;
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
      link?: boolean;
      resolved?: string;
    }
    const lock = JSON.parse(read('package-lock.json')) as { lockfileVersion: number; packages: Record<string, LockEntry> };
    expect(lock.lockfileVersion).toBeGreaterThanOrEqual(2);
    const rootEntry = lock.packages[''] ?? {};
    expect(rootEntry.devDependencies ?? {}).toEqual(rootPkg.devDependencies ?? {});
    expect(rootEntry.dependencies ?? {}).toEqual(rootPkg.dependencies ?? {});
    for (const dir of relayWorkspaces()) {
      const p = pkg(dir);
      expect(lock.packages[dir]?.dependencies ?? {}, `package-lock.json: ${dir}`).toEqual(p.dependencies ?? {});
      expect(lock.packages[`node_modules/${p.name}`], `package-lock.json links ${p.name}`).toMatchObject({ resolved: dir, link: true });
      for (const dep of Object.keys(p.dependencies ?? {})) {
        expect(lock.packages[`node_modules/${dep}`] ?? lock.packages[`${dir}/node_modules/${dep}`], `package-lock.json installs ${dep}`).toBeDefined();
      }
    }
  });

  it('copies one lockfile: the root package-lock.json', () => {
    expect(contextSources.filter((s) => /(^|\/)(package-lock\.json|npm-shrinkwrap\.json|yarn\.lock|pnpm-lock\.yaml)$/.test(s))).toEqual(['package-lock.json']);
    expect(readdirSync(relayDir)).not.toContain('package-lock.json');
  });

  it('copies nothing of agent/ or desktop/, and never the whole context', () => {
    for (const source of contextSources) {
      expect(source, 'a COPY of the whole context').not.toMatch(/^(\.|\*)$/);
      expect(source).not.toMatch(/^(agent|desktop)(\/|$)/);
    }
  });

  it('installs every package the relay imports at run time', () => {
    const workspaces = relayWorkspaces();
    const declared = new Set(workspaces.flatMap((dir) => [pkg(dir).name, ...Object.keys(pkg(dir).dependencies ?? {})]));
    const imported = new Set<string>();
    for (const dir of workspaces) {
      for (const file of filesUnder(root, `${dir}/src`).filter((f) => /\.(ts|js|mjs)$/.test(f))) {
        const code = read(file);
        const specifiers = [
          ...[...code.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string),
          ...[...code.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] as string),
          ...[...code.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] as string),
        ];
        for (const s of specifiers) {
          if (s.startsWith('.') || isBuiltin(s)) continue;
          imported.add(s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : (s.split('/')[0] as string));
        }
      }
    }
    expect(imported.size).toBeGreaterThan(3);
    expect([...imported].filter((name) => !declared.has(name)), 'imported but not a dependency of the relay workspaces').toEqual([]);
    // tsx runs the relay (CMD), so it is a dependency, not a dev dependency.
    expect(Object.keys(relayPkg.dependencies ?? {})).toContain('tsx');
  });

  it('runs as a non-root user, with /data as a volume it owns', () => {
    const users = instructions(finalStage, 'USER');
    const user = users.at(-1)?.args ?? 'root';
    expect(user.split(':')[0]).not.toMatch(/^(root|0)$/);
    const userLine = users.at(-1)?.line ?? Infinity;
    const cmd = instructions(finalStage, 'CMD').at(-1);
    expect(cmd?.line ?? 0, 'USER before CMD').toBeGreaterThan(userLine);

    const volume = instructions(finalStage, 'VOLUME').at(-1);
    const volumes = volume === undefined ? [] : (execForm(volume.args) ?? volume.args.split(/\s+/));
    expect(volumes).toContain('/data');
    // Made and chowned before VOLUME: changes after it would be thrown away.
    const chown = instructions(finalStage, 'RUN').find((r) => /chown\s+\S+\s+\/data\b/.test(r.args) && r.line < (volume?.line ?? 0));
    expect(chown, 'RUN ... chown USER /data before VOLUME').toBeDefined();
    expect(/chown\s+([^:\s]+)/.exec(chown?.args ?? '')?.[1]).toBe(user.split(':')[0]);
  });

  it('sets the container defaults: DB in /data, listening on every interface, port 8000 exposed', () => {
    const env = envOf(finalStage);
    expect(env.get('DB_PATH')).toBe('/data/relay.db');
    expect(env.get('HTTP_HOST')).toBe('0.0.0.0');
    expect(env.get('HTTP_PORT') ?? '8000').toBe('8000');
    expect(env.get('NODE_ENV')).toBe('production');
    const exposed = instructions(finalStage, 'EXPOSE').flatMap((i) => i.args.split(/\s+/));
    expect(exposed.map((p) => p.replace(/\/tcp$/, ''))).toContain('8000');
  });

  it('has openssl in the runtime image when the relay makes its certificate with it', () => {
    const tlsCode = filesUnder(root, 'nas-relay/src').filter((f) => f.endsWith('.ts')).map(read).join('\n');
    if (!/['"]openssl['"]/.test(tlsCode)) return;
    const apt = instructions(finalStage, 'RUN').find((r) => /apt-get install/.test(r.args))?.args ?? '';
    expect(apt.split(/\s+/)).toContain('openssl');
  });

  it('stops on SIGTERM and runs the relay with tsx as its CMD', () => {
    expect(instructions(finalStage, 'STOPSIGNAL').at(-1)?.args).toBe('SIGTERM');
    const cmd = execForm(instructions(finalStage, 'CMD').at(-1)?.args ?? '');
    expect(cmd, 'CMD in exec form, so the process gets SIGTERM itself').toBeDefined();
    expect(cmd?.[0]).toBe('node');
    expect(cmd).toContain('tsx');
    const script = cmd?.at(-1) ?? '';
    expect(script).toBe('nas-relay/src/main.ts');
    expect(existsSync(join(root, script))).toBe(true);
    expect(instructions(finalStage, 'WORKDIR').at(-1)?.args).toMatch(/^\//);
  });

  it('has a HEALTHCHECK on /health made with node', () => {
    const { flags, command } = healthcheck();
    expect(command.slice(0, 2)).toEqual(['node', '-e']);
    expect(command[2]).toContain("'/health'");
    expect(seconds(flags.get('timeout'))).toBeGreaterThan(4);
    expect(seconds(flags.get('interval'))).toBeGreaterThanOrEqual(10);
  });

  it('carries OCI labels matching the package', () => {
    const labels = instructions(finalStage, 'LABEL').map((i) => i.args).join(' ');
    const label = (key: string): string | undefined => new RegExp(`org\\.opencontainers\\.image\\.${key}="([^"]*)"`).exec(labels)?.[1];
    expect(label('title')).toBeTruthy();
    expect(label('description')).toBeTruthy();
    expect(label('version')).toBe(relayPkg.version);
    expect(label('licenses')).toBe(rootPkg.license);
  });
});

// -------------------------------------------------------------------------------------------

describe('nas-relay/Dockerfile: build context', () => {
  const ignored = parseDockerignore(read('.dockerignore'));

  it('COPYs only paths that exist and that .dockerignore lets through, or declared optional ones', () => {
    expect(contextCopies.length).toBeGreaterThan(0);
    for (const copy of contextCopies) {
      const required = copy.sources.filter((s) => OPTIONAL_SOURCES[s] === undefined);
      // Docker fails a COPY whose sources all match nothing.
      expect(required.length, `line ${copy.line}: a COPY needs one source that always exists`).toBeGreaterThan(0);
      for (const source of copy.sources) {
        const optional = OPTIONAL_SOURCES[source];
        if (optional === undefined) {
          expect(hasWildcard(source), `line ${copy.line}: ${source} is a pattern that is not declared optional`).toBe(false);
          expect(existsSync(join(root, source)), `line ${copy.line}: ${source} does not exist`).toBe(true);
        }
        const path = optional ?? source;
        if (!existsSync(join(root, path))) continue;
        const files = filesUnder(root, path);
        expect(files.length, `${path} is empty`).toBeGreaterThan(0);
        expect(files.filter(ignored), `line ${copy.line}: left out of the context by .dockerignore`).toEqual([]);
      }
    }
  });

  it('declares optional only patterns that stand for their path', () => {
    for (const [pattern, path] of Object.entries(OPTIONAL_SOURCES)) {
      expect(contextSources, `${pattern} is no longer copied`).toContain(pattern);
      expect(hasWildcard(pattern)).toBe(true);
      const re = new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
      expect(path).toMatch(re);
    }
  });

  it('keeps installs, data, secrets, git and build leftovers out of the context', () => {
    const out = [
      'node_modules/zod/package.json',
      'nas-relay/node_modules/x/index.js',
      '.git/HEAD',
      'data/agent.db',
      'nas-relay/data/relay.db',
      'nas-relay/data/relay-tls-key.pem',
      'relay.db',
      'nas-relay/.env',
      '.env',
      'agent/dist/main.mjs',
      'agent/src/main.ts',
      'desktop/src/main/index.ts',
      'out/main/index.js',
      'test-results/report.json',
      'coverage/index.html',
      'nas-relay/test/docker/docker.test.ts',
    ];
    expect(out.filter((p) => !ignored(p)), 'not left out by .dockerignore').toEqual([]);
    const kept = ['package.json', 'package-lock.json', 'LICENSE', 'nas-relay/src/main.ts', 'shared/src/index.ts', 'out/renderer/index.html', 'out/renderer/assets/app.js'];
    expect(kept.filter(ignored), 'left out by .dockerignore').toEqual([]);
  });

  it('has no agent or desktop files among what the image gets', () => {
    const sent = contextSources.flatMap((s) => {
      const path = OPTIONAL_SOURCES[s] ?? s;
      return existsSync(join(root, path)) ? filesUnder(root, path) : [];
    });
    expect(sent.length).toBeGreaterThan(10);
    expect(sent.filter((f) => /^(agent|desktop)\//.test(f) || /(^|\/)node_modules\//.test(f))).toEqual([]);
  });
});

// -------------------------------------------------------------------------------------------

describe('nas-relay/Dockerfile: the HEALTHCHECK command', () => {
  let scratch: string;
  let cert: { cert: string; key: string };
  const servers: (HttpServer | TcpServer)[] = [];
  const sockets = new Set<Socket>();

  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'relay-healthcheck-'));
    const certFile = join(scratch, 'cert.pem');
    const keyFile = join(scratch, 'key.pem');
    // A self-signed certificate like the relay's own (openssl: scripts/install-test-deps.sh).
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '1', '-subj', '/CN=boiler-relay', '-keyout', keyFile, '-out', certFile], {
      encoding: 'utf8',
    });
    if (r.error !== undefined || r.status !== 0) throw new Error(`openssl could not make a test certificate (run scripts/install-test-deps.sh): ${r.error?.message ?? r.stderr}`);
    cert = { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') };
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    rmSync(scratch, { recursive: true, force: true });
  });

  async function listen(server: HttpServer | TcpServer): Promise<number> {
    servers.push(server);
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as AddressInfo).port;
  }
  const health =
    (status: number): RequestListener =>
    (req, res) => {
      res.writeHead(req.url === '/health' ? status : 404, { 'content-type': 'application/json' });
      res.end('{"status":"degraded","pi_connected":false}');
    };

  /** Runs the Dockerfile's HEALTHCHECK command against a port; its exit code and how long it took. */
  async function runHealthcheck(port: number): Promise<{ code: number | null; ms: number }> {
    const [program, ...args] = healthcheck().command;
    const started = Date.now();
    const child = spawn(program === 'node' ? process.execPath : (program as string), args, { env: { ...process.env, HTTP_PORT: String(port) }, stdio: 'ignore' });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    return { code, ms: Date.now() - started };
  }

  it('is healthy when the relay answers 200 over HTTPS with its self-signed certificate', async () => {
    const port = await listen(createHttpsServer(cert, health(200)));
    expect((await runHealthcheck(port)).code).toBe(0);
  });

  it('is healthy when a loopback relay answers 200 over plain HTTP', async () => {
    const port = await listen(createHttpServer(health(200)));
    expect((await runHealthcheck(port)).code).toBe(0);
  });

  it('is unhealthy on another status, or with nothing listening', async () => {
    const port = await listen(createHttpsServer(cert, health(503)));
    expect((await runHealthcheck(port)).code).toBe(1);
    const closed = createTcpServer();
    const unused = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    servers.splice(servers.indexOf(closed), 1);
    expect((await runHealthcheck(unused)).code).toBe(1);
  });

  it('gives up on a relay that never answers, within the HEALTHCHECK --timeout', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const { code, ms } = await runHealthcheck(port);
    expect(code).toBe(1);
    expect(ms).toBeLessThan(seconds(healthcheck().flags.get('timeout')) * 1000);
  }, 15_000);
});
