import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { MESH_FILE, keyFile, publicKeys, readMesh, readPrivateKey, renderAll, writeMesh, writeNewKey, type RenderResult } from './mesh-dir.js';
import { MeshError, Role, nextFreeAddress, parseMesh, tunnelPeers, type Mesh, type Peer } from './mesh.js';

// The commands of `npm run mesh -- <command>`. Each returns the text to print (stdout); problems
// are thrown as MeshError, one line each. Private keys are printed only by `show --private NAME`.

export const USAGE = `usage: npm run mesh -- <command> [--dir DIR] ...
  init --nas-endpoint HOST:PORT [--network 10.77.0.0/24] [--interface wg-boiler]
                               a new mesh with the NAS (.1) and the Pi (.2, behind NAT), keys and configs
  add-peer NAME [--role app] [--address IP] [--endpoint HOST:PORT] [--behind-nat]
                               a desktop or kiosk (default role app), its key, every config re-rendered
  render                       every peer's wg-quick config and nftables rules (keys made for new peers)
  rotate NAME                  a new key pair for NAME, every config re-rendered
  show [NAME] [--private]      peers, addresses, public keys; --private NAME prints NAME's private key
DIR defaults to wireguard/mesh (git-ignored). Copy peers/NAME/* onto the machine NAME (see docs/DEPLOY.md).`;

const DEFAULT_DIR = join('wireguard', 'mesh');

function shown(file: string): string {
  const r = relative(process.cwd(), file);
  return r.startsWith('..') || r === '' ? file : r;
}

function renderReport(dir: string, result: RenderResult): string[] {
  const lines = result.keysMade.map((name) => `new key pair for ${name} (${shown(keyFile(dir, name))}, mode 0600)`);
  for (const f of result.files) lines.push(`${f.peer.name}: ${shown(f.conf)} (0600), ${shown(f.nft)}`);
  return lines;
}

export function init(dir: string, options: { nasEndpoint: string | undefined; network?: string | undefined; interface?: string | undefined; force?: boolean | undefined }): string {
  if (existsSync(join(dir, MESH_FILE)) && options.force !== true) throw new MeshError([`${join(dir, MESH_FILE)} exists already (--force replaces it; its keys are kept)`]);
  if (options.nasEndpoint === undefined) throw new MeshError(['--nas-endpoint HOST:PORT is required: the address the Pi and the apps dial the NAS at (a name or the home IP, and the forwarded UDP port)']);
  const network = options.network ?? '10.77.0.0/24';
  const prefix = network.split('.').slice(0, 3).join('.');
  const mesh = parseMesh({
    network,
    ...(options.interface === undefined ? {} : { interface: options.interface }),
    peers: [
      { name: 'nas', role: 'nas', address: `${prefix}.1`, endpoint: options.nasEndpoint },
      { name: 'pi', role: 'pi', address: `${prefix}.2`, behind_nat: true },
    ],
  });
  writeMesh(dir, mesh);
  return [`wrote ${join(dir, MESH_FILE)}`, ...renderReport(dir, renderAll(dir, mesh))].join('\n');
}

export function addPeer(dir: string, name: string | undefined, options: { role?: string | undefined; address?: string | undefined; endpoint?: string | undefined; behindNat?: boolean | undefined }): string {
  if (name === undefined) throw new MeshError(['add-peer needs a NAME (e.g. kiosk or laptop)']);
  const mesh = readMesh(dir);
  if (mesh.peers.some((p) => p.name === name)) throw new MeshError([`${name} is in the mesh already (rotate ${name} to give it new keys)`]);
  const role = Role.safeParse(options.role ?? 'app');
  if (!role.success) throw new MeshError([`--role: ${options.role}: expected pi, nas or app`]);
  const peer = {
    name,
    role: role.data,
    address: options.address ?? nextFreeAddress(mesh),
    behind_nat: options.behindNat ?? false,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  };
  const next = parseMesh({ ...mesh, peers: [...mesh.peers, peer] });
  writeMesh(dir, next);
  return [`added ${name} (${peer.role}) at ${peer.address}`, ...renderReport(dir, renderAll(dir, next))].join('\n');
}

export function render(dir: string): string {
  const mesh = readMesh(dir);
  return renderReport(dir, renderAll(dir, mesh)).join('\n');
}

export function rotate(dir: string, name: string | undefined): string {
  if (name === undefined) throw new MeshError(['rotate needs the NAME of the peer whose keys are replaced']);
  const mesh = readMesh(dir);
  const peer = mesh.peers.find((p) => p.name === name);
  if (peer === undefined) throw new MeshError([`${name} is not in the mesh (peers: ${mesh.peers.map((p) => p.name).join(', ')})`]);
  writeNewKey(dir, name);
  const result = renderAll(dir, mesh);
  const redeploy = [peer, ...tunnelPeers(mesh, peer)].map((p) => p.name);
  return [`new key pair for ${name}`, ...renderReport(dir, result), `copy the new configs to: ${redeploy.join(', ')} (the others are unchanged)`].join('\n');
}

export function show(dir: string, name: string | undefined, options: { private?: boolean | undefined }): string {
  const mesh = readMesh(dir);
  if (options.private === true) {
    if (name === undefined) throw new MeshError(['show --private needs the NAME whose private key to print']);
    if (!mesh.peers.some((p) => p.name === name)) throw new MeshError([`${name} is not in the mesh`]);
    const key = readPrivateKey(dir, name);
    if (key === undefined) throw new MeshError([`${name} has no key yet (run render)`]);
    return key;
  }
  const keys = publicKeys(dir, mesh);
  const peers = name === undefined ? mesh.peers : mesh.peers.filter((p) => p.name === name);
  if (peers.length === 0) throw new MeshError([`${name} is not in the mesh`]);
  const row = (p: Peer) => [p.name, p.role, p.address, p.endpoint ?? (p.behind_nat ? '(behind NAT)' : '-'), keys.get(p.name) ?? '(no key yet: run render)'];
  const table = [['name', 'role', 'address', 'endpoint', 'public key'], ...peers.map(row)];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
  return [
    `mesh ${mesh.network} on ${mesh.interface}, UDP ${mesh.listen_port}; agent port ${mesh.agent_port}, relay port ${mesh.relay_port}`,
    ...table.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()),
  ].join('\n');
}

/** Runs one command line; returns the text for stdout. */
export function runCli(argv: string[]): string {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      'nas-endpoint': { type: 'string' },
      network: { type: 'string' },
      interface: { type: 'string' },
      force: { type: 'boolean' },
      role: { type: 'string' },
      address: { type: 'string' },
      endpoint: { type: 'string' },
      'behind-nat': { type: 'boolean' },
      private: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  const [command, name, ...rest] = positionals;
  if (values.help === true || command === undefined) return USAGE;
  if (rest.length > 0) throw new MeshError([`unexpected arguments: ${rest.join(' ')}`]);
  const dir = values.dir ?? DEFAULT_DIR;
  switch (command) {
    case 'init':
      return init(dir, { nasEndpoint: values['nas-endpoint'], network: values.network, interface: values.interface, force: values.force });
    case 'add-peer':
      return addPeer(dir, name, { role: values.role, address: values.address, endpoint: values.endpoint, behindNat: values['behind-nat'] });
    case 'render':
      return render(dir);
    case 'rotate':
      return rotate(dir, name);
    case 'show':
      return show(dir, name, { private: values.private });
    default:
      throw new MeshError([`unknown command ${command}`, USAGE]);
  }
}

export type { Mesh };
