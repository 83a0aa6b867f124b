import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addPeer, init, render, rotate, runCli, show } from '../src/cli.js';
import { keyFile, nftFile, readMesh, wgConfFile } from '../src/mesh-dir.js';
import { MeshError } from '../src/mesh.js';
import { publicKeyOf } from '../src/keys.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'boiler-mesh-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (file: string) => statSync(file).mode & 0o777;
const privateKey = (name: string) => readFileSync(keyFile(dir, name), 'utf8').trim();

function parseConf(text: string): { iface: Record<string, string>; peers: Record<string, string>[] } {
  const sections: Record<string, string>[] = [];
  for (const line of text.split('\n')) {
    if (line.startsWith('[')) sections.push({ section: line });
    const m = /^(\w+) = (.*)$/.exec(line);
    if (m !== null) sections.at(-1)![m[1]!] = m[2]!;
  }
  return { iface: sections[0]!, peers: sections.slice(1) };
}

describe('npm run mesh', () => {
  it('init, add-peer: keys 0600 in a 0700 folder, one wg-quick config per peer, each peer keyed to the others', () => {
    const out = init(dir, { nasEndpoint: '203.0.113.5:51820' });
    addPeer(dir, 'kiosk', {});
    addPeer(dir, 'laptop', { behindNat: true });
    const mesh = readMesh(dir);
    expect(mesh.peers.map((p) => [p.name, p.role, p.address])).toEqual([
      ['nas', 'nas', '10.77.0.1'],
      ['pi', 'pi', '10.77.0.2'],
      ['kiosk', 'app', '10.77.0.10'],
      ['laptop', 'app', '10.77.0.11'],
    ]);
    expect(mode(join(dir, 'keys'))).toBe(0o700);
    for (const p of mesh.peers) {
      expect(mode(keyFile(dir, p.name))).toBe(0o600);
      expect(mode(wgConfFile(dir, mesh, p.name))).toBe(0o600);
      // The private keys appear in no output.
      expect(out).not.toContain(privateKey(p.name));
    }
    const pub = (name: string) => publicKeyOf(privateKey(name));

    const pi = parseConf(readFileSync(wgConfFile(dir, mesh, 'pi'), 'utf8'));
    expect(pi.iface).toMatchObject({ PrivateKey: privateKey('pi'), Address: '10.77.0.2/24', ListenPort: '51820' });
    expect(pi.peers).toEqual([{ section: '[Peer]', PublicKey: pub('nas'), AllowedIPs: '10.77.0.1/32', Endpoint: '203.0.113.5:51820', PersistentKeepalive: '25' }]);

    const nas = parseConf(readFileSync(wgConfFile(dir, mesh, 'nas'), 'utf8'));
    // The NAS dials nobody (no endpoints) and keeps nothing alive: the peers behind NAT do.
    expect(nas.peers).toEqual([
      { section: '[Peer]', PublicKey: pub('pi'), AllowedIPs: '10.77.0.2/32' },
      { section: '[Peer]', PublicKey: pub('kiosk'), AllowedIPs: '10.77.0.10/32' },
      { section: '[Peer]', PublicKey: pub('laptop'), AllowedIPs: '10.77.0.11/32' },
    ]);
    const kiosk = parseConf(readFileSync(wgConfFile(dir, mesh, 'kiosk'), 'utf8'));
    expect(kiosk.peers).toEqual([{ section: '[Peer]', PublicKey: pub('nas'), AllowedIPs: '10.77.0.1/32', Endpoint: '203.0.113.5:51820' }]);
    const laptop = parseConf(readFileSync(wgConfFile(dir, mesh, 'laptop'), 'utf8'));
    expect(laptop.peers[0]?.PersistentKeepalive).toBe('25');
  });

  it('nftables per peer: NAS -> Pi on the agent port, apps -> NAS on the relay port, WireGuard UDP, nothing else in', () => {
    init(dir, { nasEndpoint: '203.0.113.5:51820' });
    addPeer(dir, 'kiosk', {});
    const mesh = readMesh(dir);
    const rules = (name: string) => readFileSync(nftFile(dir, mesh, name), 'utf8');
    const accepts = (text: string) => text.split('\n').filter((l) => / accept/.test(l) && /saddr/.test(l)).map((l) => l.trim().replace(/ comment .*/, ''));
    expect(accepts(rules('pi'))).toEqual(['iifname "wg-boiler" ip saddr 10.77.0.1 tcp dport 8001 accept']);
    expect(accepts(rules('nas'))).toEqual([
      'iifname "wg-boiler" ip saddr 10.77.0.10 tcp dport 8000 accept',
      'iifname "wg-boiler" ip saddr 10.77.0.10 meta l4proto tcp ct original proto-dst 8000 accept',
    ]);
    expect(accepts(rules('kiosk'))).toEqual([]);
    // The relay in Docker reaches the agent through the forward hook: that one way out, nothing else routed in.
    const routedOut = (text: string) => text.split('\n').filter((l) => /oifname .* accept/.test(l) && /daddr/.test(l)).map((l) => l.trim().replace(/ comment .*/, ''));
    expect(routedOut(rules('nas'))).toEqual(['oifname "wg-boiler" ip daddr 10.77.0.2 tcp dport 8001 accept']);
    expect(routedOut(rules('pi'))).toEqual([]);
    for (const name of ['pi', 'nas', 'kiosk']) {
      const text = rules(name);
      expect(text).toContain('udp dport 51820 accept');
      expect(text).toContain('iifname "wg-boiler" counter drop comment "nothing else in on the tunnel"');
      // The final drop comes after every accept on the tunnel in the input chain.
      const input = text.slice(text.indexOf('chain input'), text.indexOf('chain forward'));
      expect(input.trim().split('\n').at(-2)).toContain('counter drop');
    }
  });

  it('rotate replaces one peer key and re-renders the others with its new public key', () => {
    init(dir, { nasEndpoint: '203.0.113.5:51820' });
    addPeer(dir, 'kiosk', {});
    const mesh = readMesh(dir);
    const before = Object.fromEntries(mesh.peers.map((p) => [p.name, privateKey(p.name)]));
    const nasConfBefore = readFileSync(wgConfFile(dir, mesh, 'nas'), 'utf8');
    const kioskConfBefore = readFileSync(wgConfFile(dir, mesh, 'kiosk'), 'utf8');
    const out = rotate(dir, 'pi');
    expect(privateKey('pi')).not.toBe(before.pi);
    expect(privateKey('nas')).toBe(before.nas);
    expect(privateKey('kiosk')).toBe(before.kiosk);
    const nasConf = readFileSync(wgConfFile(dir, mesh, 'nas'), 'utf8');
    expect(nasConf).toContain(`PublicKey = ${publicKeyOf(privateKey('pi'))}`);
    expect(nasConf).not.toContain(publicKeyOf(before.pi!));
    expect(nasConf).not.toBe(nasConfBefore);
    expect(readFileSync(wgConfFile(dir, mesh, 'kiosk'), 'utf8')).toBe(kioskConfBefore);
    expect(readFileSync(wgConfFile(dir, mesh, 'pi'), 'utf8')).toContain(`PrivateKey = ${privateKey('pi')}`);
    expect(out).toContain('copy the new configs to: pi, nas');
    expect(out).not.toContain(privateKey('pi'));
    expect(mode(keyFile(dir, 'pi'))).toBe(0o600);
  });

  it('show prints public keys only; --private NAME prints that one private key', () => {
    init(dir, { nasEndpoint: '203.0.113.5:51820' });
    const table = show(dir, undefined, {});
    expect(table).toContain(publicKeyOf(privateKey('pi')));
    expect(table).not.toContain(privateKey('pi'));
    expect(table).not.toContain(privateKey('nas'));
    expect(runCli(['show', 'pi', '--private', '--dir', dir])).toBe(privateKey('pi'));
    expect(() => runCli(['show', '--private', '--dir', dir])).toThrow(/needs the NAME/);
  });

  it('render makes keys for a peer added to mesh.json by hand, and refuses a bad file with every problem', () => {
    init(dir, { nasEndpoint: '203.0.113.5:51820' });
    const file = join(dir, 'mesh.json');
    const raw = JSON.parse(readFileSync(file, 'utf8')) as { peers: unknown[] };
    raw.peers.push({ name: 'wall', role: 'app', address: '10.77.0.20' });
    writeFileSync(file, JSON.stringify(raw));
    expect(render(dir)).toContain('new key pair for wall');
    expect(mode(keyFile(dir, 'wall'))).toBe(0o600);
    raw.peers.push({ name: 'wall', role: 'app', address: '10.77.1.20' }, { name: 'bad name', role: 'app', address: '10.77.0.21' });
    writeFileSync(file, JSON.stringify(raw));
    let err: unknown;
    try {
      render(dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MeshError);
    expect((err as MeshError).problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^mesh\.json: peers\.4\.name: expected a short/),
      expect.stringMatching(/^mesh\.json: peers\.3\.name: wall is already peers\.2/),
      expect.stringMatching(/^mesh\.json: peers\.3\.address: 10\.77\.1\.20 is outside/),
    ]));
  });

  it('init refuses to overwrite a mesh, and needs the NAS endpoint; add-peer refuses a name in use', () => {
    expect(() => init(dir, { nasEndpoint: undefined })).toThrow(/--nas-endpoint/);
    init(dir, { nasEndpoint: 'home.example.net:51820' });
    expect(() => init(dir, { nasEndpoint: 'home.example.net:51820' })).toThrow(/exists already/);
    expect(() => addPeer(dir, 'pi', {})).toThrow(/in the mesh already/);
    expect(() => addPeer(dir, 'x', { role: 'boss' })).toThrow(/--role/);
    expect(() => runCli(['frobnicate', '--dir', dir])).toThrow(/unknown command/);
  });
});
