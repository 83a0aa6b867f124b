import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../support/processes.js';

// A throwaway network of namespaces for the deploy tests: veth links, wireguard-go interfaces
// loaded with the mesh's generated configs, nftables rules, processes inside. Every name
// carries this run's id, and cleanUp() removes all of it, whatever failed before.

export const PROBE = join(repoRoot, 'test', 'deploy', 'support', 'probe.mjs');

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a program to its end; throws with its stderr when it fails. */
export function run(program: string, args: string[], options: { input?: string; allowFail?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Run {
  const r = spawnSync(program, args, { encoding: 'utf8', input: options.input, env: options.env ?? process.env, timeout: options.timeoutMs ?? 30_000 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0 && options.allowFail !== true) throw new Error(`${program} ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Why network namespaces cannot be used here, or null when they can (tried for real, then removed). */
export function netnsRefusal(): string | null {
  if (process.platform !== 'linux') return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return 'not root: ip netns needs CAP_SYS_ADMIN and CAP_NET_ADMIN';
  const probe = `bcprobe${randomBytes(3).toString('hex')}`;
  const r = spawnSync('ip', ['netns', 'add', probe], { encoding: 'utf8' });
  if (r.error !== undefined) return `ip is not installed (${r.error.message}); run scripts/install-test-deps.sh`;
  if (r.status !== 0) return `ip netns add is refused here: ${r.stderr.trim()}`;
  spawnSync('ip', ['netns', 'del', probe]);
  for (const tool of ['wireguard-go', 'wg', 'wg-quick', 'nft']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed: run scripts/install-test-deps.sh (as root)`;
  }
  if (!existsSync('/dev/net/tun')) return 'no /dev/net/tun: wireguard-go cannot make its interface';
  return null;
}

export class Lab {
  /** Short, so namespace and interface names stay within 15 characters. */
  readonly id = randomBytes(2).toString('hex');
  private readonly namespaces: string[] = [];
  private readonly processes: ChildProcess[] = [];

  ns(role: string): string {
    return `bc${this.id}${role}`;
  }

  addNamespace(role: string): string {
    const name = this.ns(role);
    run('ip', ['netns', 'add', name]);
    this.namespaces.push(name);
    run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return name;
  }

  /** A veth pair between two namespaces, each end with its address (CIDR). */
  link(a: { ns: string; dev: string; cidr: string }, b: { ns: string; dev: string; cidr: string }): void {
    run('ip', ['link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns]);
    for (const end of [a, b]) {
      run('ip', ['-n', end.ns, 'addr', 'add', end.cidr, 'dev', end.dev]);
      run('ip', ['-n', end.ns, 'link', 'set', end.dev, 'up']);
    }
  }

  exec(ns: string, program: string, args: string[], options: { input?: string; allowFail?: boolean; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Run {
    return run('ip', ['netns', 'exec', ns, program, ...args], options);
  }

  /**
   * Starts Debian's wireguard-go for `dev` inside `ns` (foreground, so it is ours to stop) and
   * resolves once its UAPI socket listens, which is when `wg setconf` can reach it.
   */
  async wireguard(ns: string, dev: string): Promise<void> {
    const proc = spawn('ip', ['netns', 'exec', ns, 'wireguard-go', '-f', dev], {
      env: { ...process.env, LOG_LEVEL: 'verbose', WG_I_PREFER_BUGGY_USERSPACE_TO_POLISHED_KMOD: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.processes.push(proc);
    let out = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`wireguard-go ${dev} in ${ns} did not start its UAPI listener in 10 s: ${out}`)), 10_000);
      const onData = (d: Buffer) => {
        out += d.toString();
        if (out.includes('UAPI listener started')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`wireguard-go ${dev} in ${ns} exited (${code}): ${out}`));
      });
    });
  }

  /**
   * What `wg-quick up` does with a generated config, minus DNS and routes it would guess:
   * strip the wg-quick-only keys, `wg setconf` the rest, the address, the link up, the rules loaded.
   */
  up(ns: string, dev: string, confFile: string, cidr: string, nftFile: string | null, scratch: string): void {
    const stripped = run('wg-quick', ['strip', confFile]).stdout;
    const file = join(scratch, `${dev}.setconf`);
    writeFileSync(file, stripped, { mode: 0o600 });
    this.exec(ns, 'wg', ['setconf', dev, file]);
    this.exec(ns, 'ip', ['addr', 'add', cidr, 'dev', dev]);
    this.exec(ns, 'ip', ['link', 'set', dev, 'up']);
    if (nftFile !== null) this.exec(ns, 'nft', ['-f', nftFile]);
  }

  /** A TCP connect from inside a namespace: 'open' or the error (ETIMEDOUT for a dropped SYN). */
  connect(ns: string, host: string, port: number, timeoutMs = 3000): string {
    const r = this.exec(ns, process.execPath, [PROBE, 'connect', host, String(port)], { env: { ...process.env, PROBE_TIMEOUT_MS: String(timeoutMs) } });
    const result = JSON.parse(r.stdout) as { ok: boolean; error?: string };
    return result.ok ? 'open' : String(result.error);
  }

  /** An HTTPS request from inside a namespace (what an app on that machine sends). */
  request(ns: string, method: string, url: string, apiKey: string, body?: unknown): { ok: boolean; status?: number; body?: Record<string, unknown>; error?: string } {
    const args = [PROBE, 'request', method, url, ...(body === undefined ? [] : [JSON.stringify(body)])];
    const r = this.exec(ns, process.execPath, args, { env: { ...process.env, API_KEY: apiKey, PROBE_TIMEOUT_MS: '5000' } });
    return JSON.parse(r.stdout) as { ok: boolean; status?: number; body?: Record<string, unknown>; error?: string };
  }

  /** Stops every wireguard-go started here and deletes every namespace (which takes its links with it). */
  async cleanUp(): Promise<void> {
    for (const p of this.processes) {
      if (p.exitCode === null && p.signalCode === null) {
        const exited = new Promise((resolve) => p.once('exit', resolve));
        p.kill('SIGTERM');
        const timer = setTimeout(() => p.kill('SIGKILL'), 3000);
        await exited;
        clearTimeout(timer);
      }
    }
    for (const ns of this.namespaces.splice(0)) spawnSync('ip', ['netns', 'del', ns]);
  }
}
