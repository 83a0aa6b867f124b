import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../wireguard/src/cli.js';
import { keyFile, nftFile, readMesh, wgConfFile } from '../../wireguard/src/mesh-dir.js';
import { publicKeyOf } from '../../wireguard/src/keys.js';
import { Lab, netnsRefusal, run } from './support/lab.js';

// Must show 1 (issue 15): the CLI's configs load into wg (wg-quick strip, then wg setconf on a
// wireguard-go interface) and its nftables rules pass `nft -c -f` and load.

const refusal = netnsRefusal();
if (refusal !== null) console.warn(`test/deploy/wg-load: skipped: ${refusal}`);

describe.skipIf(refusal !== null)('generated mesh configs in the real tools', () => {
  const lab = new Lab();
  const dir = mkdtempSync(join(tmpdir(), 'boiler-wgload-'));
  afterAll(async () => {
    await lab.cleanUp();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every peer: wg-quick strip + wg setconf on wireguard-go gives the keys, port, peers and keepalive rendered; nft -c -f accepts the rules', async () => {
    runCli(['init', '--dir', dir, '--nas-endpoint', '192.0.2.10:51820', '--interface', `wg${lab.id}`]);
    runCli(['add-peer', 'kiosk', '--dir', dir]);
    runCli(['add-peer', 'laptop', '--dir', dir, '--behind-nat']);
    const mesh = readMesh(dir);
    let ns = '';
    for (const peer of mesh.peers) {
      // A namespace each (all listen on 51820) and a name each (wireguard-go's socket is named by interface).
      ns = lab.addNamespace(peer.name.slice(0, 4));
      const dev = `wg${lab.id}${peer.name.slice(0, 4)}`;
      await lab.wireguard(ns, dev);
      const stripped = run('wg-quick', ['strip', wgConfFile(dir, mesh, peer.name)]).stdout;
      expect(stripped).not.toMatch(/^(Address|PostUp|PostDown)/m);
      const setconf = join(dir, `${dev}.setconf`);
      writeFileSync(setconf, stripped, { mode: 0o600 });
      lab.exec(ns, 'wg', ['setconf', dev, setconf]);
      // wg show DEV dump: the interface line (private, public, port, fwmark), then one line per peer.
      const [iface, ...peers] = lab.exec(ns, 'wg', ['show', dev, 'dump']).stdout.trim().split('\n').map((l) => l.split('\t'));
      const privateKey = readFileSync(keyFile(dir, peer.name), 'utf8').trim();
      expect(iface?.slice(0, 3)).toEqual([privateKey, publicKeyOf(privateKey), '51820']);
      const expected = (peer.role === 'nas' ? mesh.peers.filter((p) => p.name !== peer.name) : mesh.peers.filter((p) => p.role === 'nas')).map((p) => {
        const keepalive = peer.behind_nat && p.endpoint !== undefined ? '25' : 'off';
        return [publicKeyOf(readFileSync(keyFile(dir, p.name), 'utf8').trim()), p.endpoint ?? '(none)', `${p.address}/32`, keepalive];
      });
      // In any order: wg lists peers as its own table holds them, not in the file's order (seen to differ).
      const byKey = (a: (string | undefined)[], b: (string | undefined)[]) => String(a[0]).localeCompare(String(b[0]));
      expect(peers.map((f) => [f[0], f[2], f[3], f[7]]).sort(byKey)).toEqual(expected.sort(byKey));

      const rules = nftFile(dir, mesh, peer.name);
      expect(run('nft', ['-c', '-f', rules]).status).toBe(0);
    }
    // Loaded for real too (in the last peer's namespace), twice: the file replaces its own table, never stacking a second.
    const pi = nftFile(dir, mesh, 'pi');
    lab.exec(ns, 'nft', ['-f', pi]);
    lab.exec(ns, 'nft', ['-f', pi]);
    const tables = lab.exec(ns, 'nft', ['list', 'tables']).stdout;
    expect(tables.trim().split('\n')).toEqual(['table inet boiler_mesh']);
    expect(lab.exec(ns, 'nft', ['list', 'chain', 'inet', 'boiler_mesh', 'input']).stdout).toMatch(/ip saddr 10\.77\.0\.1 tcp dport 8001 accept/);
  });
});
