import { describe, expect, it } from 'vitest';
import { MeshError, nextFreeAddress, parseMesh, tunnelPeers } from '../src/mesh.js';

const good = {
  network: '10.77.0.0/24',
  peers: [
    { name: 'nas', role: 'nas', address: '10.77.0.1', endpoint: 'home.example.net:51820' },
    { name: 'pi', role: 'pi', address: '10.77.0.2', behind_nat: true },
    { name: 'kiosk', role: 'app', address: '10.77.0.10' },
  ],
};

function problems(raw: unknown): string[] {
  try {
    parseMesh(raw);
  } catch (err) {
    if (err instanceof MeshError) return err.problems;
    throw err;
  }
  throw new Error('parsed');
}

describe('the mesh description', () => {
  it('a good mesh parses with the defaults filled', () => {
    const mesh = parseMesh(good);
    expect(mesh).toMatchObject({ interface: 'wg-boiler', listen_port: 51820, agent_port: 8001, relay_port: 8000, keepalive_s: 25 });
    expect(mesh.peers.map((p) => p.behind_nat)).toEqual([false, true, false]);
  });

  it('reports every problem at once, each with its path', () => {
    const bad = {
      network: '10.77.0.0/24',
      interface: 'a-name-that-is-far-too-long',
      peers: [
        { name: 'nas', role: 'nas', address: '10.77.0.1' },
        { name: 'pi', role: 'pi', address: '10.78.0.2' },
        { name: 'pi', role: 'app', address: '10.77.0.1' },
        { name: 'Kiosk!', role: 'tablet', address: 'nowhere', endpoint: 'x' },
        { name: 'extra', role: 'app', address: '10.77.0.255', colour: 'red' },
      ],
    };
    const p = problems(bad);
    expect(p).toEqual(expect.arrayContaining([
      expect.stringMatching(/^interface: expected an interface name/),
      expect.stringMatching(/^peers\.0\.endpoint: the nas peer needs an endpoint/),
      expect.stringMatching(/^peers\.1\.address: 10\.78\.0\.2 is outside 10\.77\.0\.0\/24/),
      expect.stringMatching(/^peers\.2\.name: pi is already peers\.1/),
      expect.stringMatching(/^peers\.2\.address: 10\.77\.0\.1 is already nas's/),
      expect.stringMatching(/^peers\.3\.name: expected a short lower-case name/),
      expect.stringMatching(/^peers\.3\.role: expected pi, nas or app/),
      expect.stringMatching(/^peers\.3\.address: expected an IPv4 address/),
      expect.stringMatching(/^peers\.3\.endpoint: expected host:port/),
      expect.stringMatching(/^peers\.4: Unrecognized key: "colour"/),
    ]));
    // A shape problem and the whole-mesh problems come out of the same run.
    expect(p.length).toBeGreaterThanOrEqual(10);
  });

  it('needs a private /24 with its host bits clear, one Pi and one NAS', () => {
    expect(problems({ ...good, network: '8.8.8.0/24' })).toContainEqual(expect.stringMatching(/not in a private range/));
    expect(problems({ ...good, network: '10.77.0.5/24' })).toContainEqual(expect.stringMatching(/host bits set/));
    expect(problems({ ...good, network: '10.77.0.0/16' })).toContainEqual(expect.stringMatching(/^network: expected a \/24/));
    expect(problems({ ...good, peers: good.peers.filter((p) => p.role !== 'pi') })).toContainEqual('peers: expected exactly one pi peer, found 0');
    expect(problems({ ...good, peers: [...good.peers, { name: 'nas2', role: 'nas', address: '10.77.0.3', endpoint: 'b:1' }] })).toContainEqual('peers: expected exactly one nas peer, found 2');
    expect(problems({ ...good, peers: [...good.peers, { name: 'x', role: 'app', address: '10.77.0.0' }] })).toContainEqual(expect.stringMatching(/network's own or broadcast/));
    expect(problems({ ...good, peers: [{ ...good.peers[0], endpoint: 'home:70000' }, ...good.peers.slice(1)] })).toContainEqual(expect.stringMatching(/port above 65535/));
    expect(problems(null)).not.toHaveLength(0);
  });

  it('the NAS is the hub: the Pi and the apps have a tunnel to the NAS only', () => {
    const mesh = parseMesh(good);
    const [nas, pi, kiosk] = mesh.peers as [never, never, never];
    expect(tunnelPeers(mesh, nas).map((p) => p.name)).toEqual(['pi', 'kiosk']);
    expect(tunnelPeers(mesh, pi).map((p) => p.name)).toEqual(['nas']);
    expect(tunnelPeers(mesh, kiosk).map((p) => p.name)).toEqual(['nas']);
  });

  it('new peers take the first free address from .10', () => {
    const mesh = parseMesh(good);
    expect(nextFreeAddress(mesh)).toBe('10.77.0.11');
    expect(nextFreeAddress(parseMesh({ ...good, peers: good.peers.slice(0, 2) }))).toBe('10.77.0.10');
  });
});
