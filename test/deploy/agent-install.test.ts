import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { repoRoot } from '../support/processes.js';

// Must show 4 (issue 15), the Pi's half: the unit passes systemd-analyze verify and scores at most
// 3.0 in systemd-analyze security; build/install-agent.sh runs to its end against a temporary root
// (--root), leaves the files, owners and modes expected, changes nothing on a second run, and
// build/uninstall-agent.sh keeps the data unless asked.

const UNIT = join(repoRoot, 'build', 'boiler-agent.service');
const INSTALL = join(repoRoot, 'build', 'install-agent.sh');
const UNINSTALL = join(repoRoot, 'build', 'uninstall-agent.sh');
const isRoot = process.getuid?.() === 0;
const hasSystemdAnalyze = spawnSync('systemd-analyze', ['--version']).status === 0;
if (!isRoot) console.warn('test/deploy/agent-install: the install tests skipped: not root (the script makes a user and chowns files)');
if (!hasSystemdAnalyze) console.warn('test/deploy/agent-install: the unit tests skipped: no systemd-analyze on this machine');

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!hasSystemdAnalyze)('build/boiler-agent.service', () => {
  it('systemd-analyze verify accepts it', () => {
    const r = spawnSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('systemd-analyze security --offline=true scores it at most 3.0, with the locks the issue names', () => {
    const r = spawnSync('systemd-analyze', ['security', '--offline=true', UNIT], { encoding: 'utf8' });
    const m = /Overall exposure level for boiler-agent\.service: (\d+\.\d)/.exec(r.stdout);
    expect(m, r.stdout + r.stderr).not.toBeNull();
    const score = Number(m![1]);
    console.info(`systemd-analyze security --offline=true: ${score}`);
    expect(score).toBeLessThanOrEqual(3.0);
    const text = readFileSync(UNIT, 'utf8');
    for (const line of ['ProtectSystem=strict', 'ProtectHome=true', 'PrivateTmp=true', 'NoNewPrivileges=true', 'CapabilityBoundingSet=\n', 'SystemCallFilter=@system-service', 'SupplementaryGroups=gpio', 'WatchdogSec=30', 'Restart=on-failure', 'StateDirectory=boiler-controller']) {
      expect(text).toContain(line);
    }
    expect(text).toMatch(/^RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK$/m);
    // No secret in the unit: only the files' paths, as credentials.
    expect(text).not.toMatch(/^Environment=.*(SHARED_SECRET|API_KEY)=(?!%d\/)/m);
    expect(text).toContain('Environment=SHARED_SECRET_FILE=%d/shared-secret API_KEY_FILE=%d/api-key');
  });
});

/** Every path under root with its type, mode, owner, size and mtime: equal snapshots mean nothing was touched. */
function snapshot(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const s = lstatSync(p);
      out.push(`${p.slice(root.length)} ${(s.mode & 0o7777).toString(8)} ${s.uid}:${s.gid} ${s.isDirectory() ? 'dir' : s.size} ${s.mtimeMs}${s.isSymbolicLink() ? ` -> ${readlinkSync(p)}` : ''}`);
      if (s.isDirectory()) walk(p);
    }
  };
  walk(root);
  return out;
}

function freshRoot(): { root: string; npmLog: string; env: NodeJS.ProcessEnv } {
  const root = mkdtempSync(join(tmpdir(), 'boiler-install-'));
  dirs.push(root);
  mkdirSync(join(root, 'etc'));
  mkdirSync(join(root, 'boot', 'firmware'), { recursive: true });
  writeFileSync(join(root, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
  writeFileSync(join(root, 'etc', 'group'), 'root:x:0:\ngpio:x:997:\n');
  writeFileSync(join(root, 'etc', 'shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  writeFileSync(join(root, 'etc', 'gshadow'), 'root:*::\ngpio:!::\n', { mode: 0o640 });
  writeFileSync(join(root, 'boot', 'firmware', 'config.txt'), '[all]\narm_64bit=1\n');
  // npm stands in for the registry: it records how it was called and where (the real one needs the network).
  const bin = mkdtempSync(join(tmpdir(), 'boiler-install-npm-'));
  dirs.push(bin);
  const npmLog = join(bin, 'npm.log');
  const fakeNpm = join(bin, 'npm');
  writeFileSync(fakeNpm, `#!/bin/sh\necho "$PWD $*" >> ${npmLog}\nmkdir -p node_modules/better-sqlite3\n`);
  chmodSync(fakeNpm, 0o755);
  return { root, npmLog, env: { ...process.env, BOILER_NPM: fakeNpm } };
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync('bash', [script, ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe.skipIf(!isRoot)('build/install-agent.sh --root', () => {
  it('installs to the end: the boiler user in gpio, the files, owners and modes expected; a second run changes nothing', () => {
    const { root, npmLog, env } = freshRoot();
    const first = run(INSTALL, ['--root', root, '--one-wire', '17', '--time-zone', 'Europe/Paris', '--ws-host', '10.77.0.2'], env);
    expect(first.out).toContain('install-agent: done');
    expect(first.status).toBe(0);

    const passwd = readFileSync(join(root, 'etc', 'passwd'), 'utf8');
    const user = /^boiler:x:(\d+):(\d+):[^:]*:\/nonexistent:\/usr\/sbin\/nologin$/m.exec(passwd);
    expect(user, passwd).not.toBeNull();
    const [uid, gid] = [Number(user![1]), Number(user![2])];
    expect(readFileSync(join(root, 'etc', 'group'), 'utf8')).toMatch(/^gpio:x:997:boiler$/m);

    const stat = (p: string) => {
      const s = lstatSync(join(root, p));
      return `${(s.mode & 0o777).toString(8)} ${s.uid}:${s.gid}`;
    };
    expect(stat('var/lib/boiler-controller')).toBe(`700 ${uid}:${gid}`);
    expect(stat('etc/boiler-controller')).toBe('755 0:0');
    expect(stat('etc/boiler-controller/shared-secret')).toBe('600 0:0');
    expect(stat('etc/boiler-controller/api-key')).toBe('600 0:0');
    expect(stat('etc/boiler-controller/agent.env')).toBe('644 0:0');
    expect(stat('opt/boiler-controller/agent/dist/main.mjs')).toBe('644 0:0');
    expect(stat('etc/systemd/system/boiler-agent.service')).toBe('644 0:0');
    const secret = readFileSync(join(root, 'etc/boiler-controller/shared-secret'), 'utf8').trim();
    const apiKey = readFileSync(join(root, 'etc/boiler-controller/api-key'), 'utf8').trim();
    expect(Buffer.from(secret, 'base64')).toHaveLength(32);
    expect(apiKey).not.toBe(secret);
    // The secrets are in their files only: not in the output, the settings or the unit.
    const env_ = readFileSync(join(root, 'etc/boiler-controller/agent.env'), 'utf8');
    for (const s of [secret, apiKey]) {
      expect(first.out).not.toContain(s);
      expect(env_).not.toContain(s);
    }
    expect(env_).toMatch(/^WS_HOST=10\.77\.0\.2$/m);
    expect(env_).toMatch(/^TIME_ZONE=Europe\/Paris$/m);
    expect(readFileSync(join(root, 'etc/systemd/system/boiler-agent.service'), 'utf8')).toBe(readFileSync(UNIT, 'utf8'));
    expect(readFileSync(join(root, 'opt/boiler-controller/agent/dist/main.mjs'), 'utf8')).toBe(readFileSync(join(repoRoot, 'agent/dist/main.mjs'), 'utf8'));
    expect(readlinkSync(join(root, 'etc/systemd/system/multi-user.target.wants/boiler-agent.service'))).toBe('/etc/systemd/system/boiler-agent.service');
    expect(readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8')).toMatch(/^dtoverlay=w1-gpio,gpiopin=17$/m);
    // Production dependencies only, for the agent's workspace, in the install folder.
    expect(readFileSync(npmLog, 'utf8')).toBe(`${join(root, 'opt/boiler-controller')} ci --omit=dev --workspace agent --include-workspace-root=false\n`);

    const before = snapshot(root);
    const second = run(INSTALL, ['--root', root, '--one-wire', '17', '--time-zone', 'Europe/Paris', '--ws-host', '10.77.0.2'], env);
    expect(second.status).toBe(0);
    expect(second.out.trim()).toBe('install-agent: nothing to change');
    expect(snapshot(root)).toEqual(before);
    expect(readFileSync(npmLog, 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('repairs a secret left world-readable, and keeps the site files an owner edited', () => {
    const { root, env } = freshRoot();
    expect(run(INSTALL, ['--root', root], env).status).toBe(0);
    chmodSync(join(root, 'etc/boiler-controller/api-key'), 0o644);
    writeFileSync(join(root, 'etc/boiler-controller/agent.env'), 'WS_HOST=10.77.0.9\n');
    const again = run(INSTALL, ['--root', root], env);
    expect(again.out).toContain('fixed the mode or owner of /etc/boiler-controller/api-key');
    expect(lstatSync(join(root, 'etc/boiler-controller/api-key')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(root, 'etc/boiler-controller/agent.env'), 'utf8')).toBe('WS_HOST=10.77.0.9\n');
  });

  it('uninstall keeps the data and settings unless --purge', () => {
    const { root, env } = freshRoot();
    expect(run(INSTALL, ['--root', root, '--one-wire'], env).status).toBe(0);
    writeFileSync(join(root, 'var/lib/boiler-controller/agent.db'), 'the event log');
    const kept = run(UNINSTALL, ['--root', root], env);
    expect(kept.status).toBe(0);
    expect(() => lstatSync(join(root, 'opt/boiler-controller'))).toThrow();
    expect(() => lstatSync(join(root, 'etc/systemd/system/boiler-agent.service'))).toThrow();
    expect(() => lstatSync(join(root, 'etc/systemd/system/multi-user.target.wants/boiler-agent.service'))).toThrow();
    expect(readFileSync(join(root, 'var/lib/boiler-controller/agent.db'), 'utf8')).toBe('the event log');
    expect(lstatSync(join(root, 'etc/boiler-controller/shared-secret')).isFile()).toBe(true);
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).toMatch(/^boiler:/m);

    const purged = run(UNINSTALL, ['--root', root, '--purge'], env);
    expect(purged.status).toBe(0);
    expect(() => lstatSync(join(root, 'var/lib/boiler-controller'))).toThrow();
    expect(() => lstatSync(join(root, 'etc/boiler-controller'))).toThrow();
    expect(readFileSync(join(root, 'etc/passwd'), 'utf8')).not.toMatch(/^boiler:/m);
    expect(readFileSync(join(root, 'boot/firmware/config.txt'), 'utf8')).toBe('[all]\narm_64bit=1\n');
  });
});
