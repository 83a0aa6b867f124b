import { interfaceOf, tunnelPeers, type Mesh, type Peer } from './mesh.js';

// Pure renderers: a peer's wg-quick config and its nftables rules, from the mesh and the keys.

/** The table every rules file defines (and replaces whole on each load). */
export const NFT_TABLE = 'boiler_mesh';

/** Where the rules file goes on each machine: wg-quick's PostUp loads it. */
export const nftInstallPath = (mesh: Mesh, peer: Peer) => `/etc/wireguard/${interfaceOf(mesh, peer)}.nft`;

function listenPort(mesh: Mesh, peer: Peer): number {
  return peer.listen_port ?? mesh.listen_port;
}

/**
 * `wg-quick` config for one peer. It holds the private key, so it is written 0600. Each
 * [Peer] allows only that peer's own /32: the NAS is the hub, the Pi and the apps know only
 * the NAS, so an app has no route to the Pi at all.
 */
export function renderWgQuick(mesh: Mesh, peer: Peer, privateKey: string, publicKeys: ReadonlyMap<string, string>): string {
  const lines = [
    `# Boiler Controller mesh: ${peer.name} (${peer.role}), made by \`npm run mesh -- render\`; edit mesh.json, not this.`,
    '[Interface]',
    `PrivateKey = ${privateKey}`,
    `Address = ${peer.address}/24`,
    `ListenPort = ${listenPort(mesh, peer)}`,
    // The rules file replaces its own table whole, so a PostUp after a crash still leaves one copy.
    `PostUp = nft -f ${nftInstallPath(mesh, peer)}`,
    `PostDown = nft delete table inet ${NFT_TABLE}`,
  ];
  for (const other of tunnelPeers(mesh, peer)) {
    const key = publicKeys.get(other.name);
    if (key === undefined) throw new Error(`no public key for ${other.name}`);
    lines.push('', `# ${other.name} (${other.role})`, '[Peer]', `PublicKey = ${key}`, `AllowedIPs = ${other.address}/32`);
    if (other.endpoint !== undefined) lines.push(`Endpoint = ${other.endpoint}`);
    // The side behind NAT keeps the mapping open, so the NAS can reach the Pi at any time.
    if (peer.behind_nat && other.endpoint !== undefined) lines.push(`PersistentKeepalive = ${mesh.keepalive_s}`);
  }
  return `${lines.join('\n')}\n`;
}

/** What may come in on this peer's tunnel: one rule per (source, port), everything else dropped. */
export function allowedIn(mesh: Mesh, peer: Peer): { from: Peer; port: number; what: string }[] {
  if (peer.role === 'pi') {
    return mesh.peers.filter((p) => p.role === 'nas').map((from) => ({ from, port: mesh.agent_port, what: 'the relay to the agent' }));
  }
  if (peer.role === 'nas') {
    return mesh.peers.filter((p) => p.role === 'app').map((from) => ({ from, port: mesh.relay_port, what: 'an app to the relay' }));
  }
  return [];
}

/**
 * nftables rules for one peer: on the tunnel interface only the connections the system needs
 * come in (NAS -> Pi on the agent's port, apps -> NAS on the relay's port) plus replies to what
 * this peer opened; nothing else in, nothing forwarded through the tunnel. WireGuard's own UDP
 * port is accepted on the other interfaces. Traffic that is not on the tunnel is left to the
 * machine's own firewall (policy accept): this table must not lock the owner out of SSH.
 */
export function renderNftables(mesh: Mesh, peer: Peer): string {
  const wg = interfaceOf(mesh, peer);
  const allow = allowedIn(mesh, peer);
  const inRules = allow.map((a) => `    iifname "${wg}" ip saddr ${a.from.address} tcp dport ${a.port} accept comment "${a.from.name}: ${a.what}"`);
  // On a NAS running the relay in Docker, a published port is DNAT-ed to the container, so the
  // apps' connections pass the forward hook rather than input; the same pairs are allowed there.
  const forwardRules = (peer.role === 'nas' ? allow : []).map((a) => `    iifname "${wg}" ip saddr ${a.from.address} meta l4proto tcp ct original proto-dst ${a.port} accept comment "${a.from.name}: ${a.what} (published container port)"`);
  // And the relay in its container dials the agent: routed (forward hook) out through the tunnel.
  const forwardOut = peer.role === 'nas'
    ? mesh.peers.filter((p) => p.role === 'pi').map((pi) => `    oifname "${wg}" ip daddr ${pi.address} tcp dport ${mesh.agent_port} accept comment "the relay in Docker to the agent on ${pi.name}"`)
    : [];
  return [
    `# Boiler Controller mesh: firewall for ${peer.name} (${peer.role}), made by \`npm run mesh -- render\`.`,
    `# Loaded by wg-quick's PostUp (nft -f ${nftInstallPath(mesh, peer)}); check with nft -c -f.`,
    // Declaring then deleting the table makes the load idempotent: one copy, never two.
    `table inet ${NFT_TABLE}`,
    `delete table inet ${NFT_TABLE}`,
    `table inet ${NFT_TABLE} {`,
    '  chain input {',
    '    type filter hook input priority filter; policy accept;',
    `    udp dport ${listenPort(mesh, peer)} accept comment "WireGuard"`,
    `    iifname "${wg}" ct state established,related accept`,
    `    iifname "${wg}" ct state invalid drop`,
    ...inRules,
    `    iifname "${wg}" counter drop comment "nothing else in on the tunnel"`,
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy accept;',
    `    iifname "${wg}" ct state established,related accept`,
    ...forwardRules,
    `    iifname "${wg}" counter drop comment "the mesh is not a route to anywhere else"`,
    `    oifname "${wg}" ct state established,related accept`,
    ...forwardOut,
    `    oifname "${wg}" counter drop comment "nothing routed into the tunnel"`,
    '  }',
    '}',
    '',
  ].join('\n');
}
