import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, isWgKey, publicKeyOf } from './keys.js';
import { MeshError, interfaceOf, parseMesh, type Mesh, type Peer } from './mesh.js';
import { renderNftables, renderWgQuick } from './render.js';

// A mesh directory on the owner's machine: mesh.json (the description, safe to share),
// keys/NAME.key (private keys, 0600 in a 0700 folder) and peers/NAME/ (what goes onto each
// machine: the wg-quick config, 0600 since it holds the key, and the nftables rules).

export const MESH_FILE = 'mesh.json';

export function keyFile(dir: string, name: string): string {
  return join(dir, 'keys', `${name}.key`);
}

export function peerDir(dir: string, name: string): string {
  return join(dir, 'peers', name);
}

function peerInterface(mesh: Mesh, name: string): string {
  const peer = mesh.peers.find((p) => p.name === name);
  if (peer === undefined) throw new MeshError([`${name} is not in the mesh`]);
  return interfaceOf(mesh, peer);
}

/** The wg-quick config for a peer, named as wg-quick wants: INTERFACE.conf. */
export function wgConfFile(dir: string, mesh: Mesh, name: string): string {
  return join(peerDir(dir, name), `${peerInterface(mesh, name)}.conf`);
}

export function nftFile(dir: string, mesh: Mesh, name: string): string {
  return join(peerDir(dir, name), `${peerInterface(mesh, name)}.nft`);
}

/** Writes through a temporary file and a rename, with the mode set before any byte is written. */
function writeFileAtomic(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode });
  chmodSync(tmp, mode); // the umask may have taken bits off; make it exactly this
  renameSync(tmp, file);
}

export function readMesh(dir: string): Mesh {
  const file = join(dir, MESH_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new MeshError([`${file}: cannot read: ${(err as Error).message} (run \`npm run mesh -- init\` first)`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new MeshError([`${file}: not JSON: ${(err as Error).message}`]);
  }
  try {
    return parseMesh(raw);
  } catch (err) {
    if (err instanceof MeshError) throw new MeshError(err.problems.map((p) => `${MESH_FILE}: ${p}`));
    throw err;
  }
}

/** Writes the description as given (checked first: a bad mesh never reaches the disk). */
export function writeMesh(dir: string, mesh: Mesh): void {
  parseMesh(mesh);
  mkdirSync(dir, { recursive: true });
  writeFileAtomic(join(dir, MESH_FILE), `${JSON.stringify(mesh, null, 2)}\n`, 0o644);
}

export function readPrivateKey(dir: string, name: string): string | undefined {
  const file = keyFile(dir, name);
  if (!existsSync(file)) return undefined;
  const key = readFileSync(file, 'utf8').trim();
  if (!isWgKey(key)) throw new MeshError([`${file}: not a WireGuard private key`]);
  return key;
}

/** Makes a new key pair for a peer, replacing any old one; returns the public key. */
export function writeNewKey(dir: string, name: string): string {
  const keys = join(dir, 'keys');
  mkdirSync(keys, { recursive: true, mode: 0o700 });
  chmodSync(keys, 0o700);
  const pair = generateKeyPair();
  writeFileAtomic(keyFile(dir, name), `${pair.privateKey}\n`, 0o600);
  return pair.publicKey;
}

export interface RenderResult {
  /** Peers whose keys were missing and have been made. */
  keysMade: string[];
  /** Files written, per peer. */
  files: { peer: Peer; conf: string; nft: string }[];
}

/** Renders every peer's config and rules, making keys for peers that have none yet. */
export function renderAll(dir: string, mesh: Mesh): RenderResult {
  const keysMade: string[] = [];
  const privateKeys = new Map<string, string>();
  for (const peer of mesh.peers) {
    let key = readPrivateKey(dir, peer.name);
    if (key === undefined) {
      writeNewKey(dir, peer.name);
      keysMade.push(peer.name);
      key = readPrivateKey(dir, peer.name)!;
    }
    privateKeys.set(peer.name, key);
  }
  const publicKeys = new Map([...privateKeys].map(([name, key]) => [name, publicKeyOf(key)]));
  const files: RenderResult['files'] = [];
  for (const peer of mesh.peers) {
    const out = peerDir(dir, peer.name);
    mkdirSync(out, { recursive: true, mode: 0o700 });
    chmodSync(out, 0o700);
    const conf = wgConfFile(dir, mesh, peer.name);
    const nft = nftFile(dir, mesh, peer.name);
    writeFileAtomic(conf, renderWgQuick(mesh, peer, privateKeys.get(peer.name)!, publicKeys), 0o600);
    writeFileAtomic(nft, renderNftables(mesh, peer), 0o644);
    files.push({ peer, conf, nft });
  }
  return { keysMade, files };
}

/** Public keys by peer name (from the private keys on disk). */
export function publicKeys(dir: string, mesh: Mesh): Map<string, string | undefined> {
  return new Map(mesh.peers.map((p) => {
    const key = readPrivateKey(dir, p.name);
    return [p.name, key === undefined ? undefined : publicKeyOf(key)];
  }));
}
