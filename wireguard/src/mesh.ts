import { z } from 'zod';

// The mesh description file (mesh.json): who is in the mesh, at which tunnel address, where each
// can be reached from outside, and the two service ports the firewall rules open. Read by every
// command of the CLI; every problem in it is reported at once, each with its path.

const PRIVATE_RANGES: readonly (readonly [number, number])[] = [
  [ipToInt('10.0.0.0'), 8],
  [ipToInt('172.16.0.0'), 12],
  [ipToInt('192.168.0.0'), 16],
];

const ipv4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** 32-bit unsigned value of a dotted IPv4 address (already checked by the schema). */
export function ipToInt(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

const port = z.number().int().min(1).max(65535);

/** A peer's role: the boiler's Pi (agent), the owner's NAS (relay), or an app machine (desktop, kiosk). */
export const Role = z.enum(['pi', 'nas', 'app'], { error: 'expected pi, nas or app' });
export type Role = z.infer<typeof Role>;

export const Peer = z.strictObject({
  /** Also the key file's name: letters, digits and dashes. */
  name: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'expected a short lower-case name (letters, digits, dashes; a letter first)'),
  role: Role,
  /** The peer's address inside the tunnel (in `network`). */
  address: z.string().regex(ipv4, 'expected an IPv4 address'),
  /** Where the others reach this peer from outside (host:port); only peers that others dial need one. */
  endpoint: z
    .string()
    .regex(/^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'expected host:port (a name, an IPv4 address or [IPv6])')
    .refine((e) => !(Number(e.slice(e.lastIndexOf(':') + 1)) > 65535), 'port above 65535')
    .optional(),
  /** Behind NAT (the Pi usually is): sends keepalives so the NAT keeps its mapping open for replies. */
  behind_nat: z.boolean().default(false),
  /** UDP port this peer listens on; the mesh's listen_port when unset. */
  listen_port: port.optional(),
  /** This peer's interface name when it cannot be the mesh's (a name taken there already). */
  interface: z.string().regex(/^[A-Za-z0-9_=+.-]{1,15}$/, 'expected an interface name of 1 to 15 letters, digits or _=+.-').optional(),
});
export type Peer = z.infer<typeof Peer>;

export const MeshShape = z.strictObject({
  /** The tunnel network: a private /24, e.g. 10.77.0.0/24. */
  network: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/24$/, 'expected a /24 such as 10.77.0.0/24'),
  /** The WireGuard interface's name on every peer (at most 15 characters, the kernel's limit). */
  interface: z.string().regex(/^[A-Za-z0-9_=+.-]{1,15}$/, 'expected an interface name of 1 to 15 letters, digits or _=+.-').default('wg-boiler'),
  listen_port: port.default(51820),
  /** The agent's WS_PORT on the Pi: the only port the NAS may reach there. */
  agent_port: port.default(8001),
  /** The relay's HTTP_PORT on the NAS: the only port the apps may reach there. */
  relay_port: port.default(8000),
  /** Seconds between keepalives from a peer behind NAT. */
  keepalive_s: z.number().int().min(1).max(600).default(25),
  peers: z.array(z.unknown()),
});

export interface Mesh extends Omit<z.infer<typeof MeshShape>, 'peers'> {
  peers: Peer[];
}

/** The mesh file could not be read, or says something impossible; one line per problem. */
export class MeshError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('\n'));
    this.name = 'MeshError';
  }
}

function issueLines(issues: readonly z.core.$ZodIssue[], prefix: (string | number)[] = []): string[] {
  return issues.map((i) => {
    const path = [...prefix, ...i.path].map(String).join('.');
    return `${path === '' ? '(root)' : path}: ${i.message}`;
  });
}

/**
 * Checks a parsed-from-JSON value as a mesh, reporting every problem at once: the shape, each
 * peer's fields, and what only the whole says (one Pi, one NAS, addresses inside a private /24
 * and not shared, the NAS reachable). Throws MeshError; returns the mesh with defaults filled.
 */
export function parseMesh(raw: unknown): Mesh {
  const problems: string[] = [];
  const shape = MeshShape.safeParse(raw);
  if (!shape.success) problems.push(...issueLines(shape.error.issues));
  // Peers are checked one by one even when the top level is wrong, so a single run lists everything.
  const rawPeers = shape.success ? shape.data.peers : Array.isArray((raw as { peers?: unknown } | null)?.peers) ? ((raw as { peers: unknown[] }).peers) : [];
  const peers: Peer[] = [];
  rawPeers.forEach((p, i) => {
    const r = Peer.safeParse(p);
    if (r.success) peers.push(r.data);
    else problems.push(...issueLines(r.error.issues, ['peers', i]));
  });

  // The network alone, so the addresses are checked against it even when another field is wrong.
  const networkField = MeshShape.shape.network.safeParse((raw as { network?: unknown } | null)?.network);
  const network = networkField.success ? networkField.data : undefined;
  let base: number | undefined;
  if (network !== undefined) {
    const [ip] = network.split('/') as [string];
    if (!ipv4.test(ip)) problems.push(`network: ${ip} is not an IPv4 address`);
    else {
      base = ipToInt(ip);
      if (base % 256 !== 0) problems.push(`network: ${network} has host bits set (a /24 ends in .0)`);
      const b = base;
      if (!PRIVATE_RANGES.some(([start, bits]) => Math.floor(b / 2 ** (32 - bits)) === Math.floor(start / 2 ** (32 - bits)))) {
        problems.push(`network: ${network} is not in a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)`);
      }
    }
  }

  const seenNames = new Map<string, number>();
  const seenAddresses = new Map<string, string>();
  rawPeers.forEach((p, i) => {
    const r = Peer.safeParse(p);
    if (!r.success) return;
    const peer = r.data;
    const other = seenNames.get(peer.name);
    if (other !== undefined) problems.push(`peers.${i}.name: ${peer.name} is already peers.${other}`);
    else seenNames.set(peer.name, i);
    if (base !== undefined) {
      const a = ipToInt(peer.address);
      if (Math.floor(a / 256) !== Math.floor(base / 256)) problems.push(`peers.${i}.address: ${peer.address} is outside ${network}`);
      else if (a % 256 === 0 || a % 256 === 255) problems.push(`peers.${i}.address: ${peer.address} is the network's own or broadcast address`);
    }
    const holder = seenAddresses.get(peer.address);
    if (holder !== undefined) problems.push(`peers.${i}.address: ${peer.address} is already ${holder}'s`);
    else seenAddresses.set(peer.address, peer.name);
  });
  for (const role of ['pi', 'nas'] as const) {
    const count = peers.filter((p) => p.role === role).length;
    if (count !== 1) problems.push(`peers: expected exactly one ${role} peer, found ${count}`);
  }
  const nas = peers.find((p) => p.role === 'nas');
  if (nas !== undefined && nas.endpoint === undefined) {
    problems.push(`peers.${rawPeers.findIndex((p) => (p as { name?: unknown } | null)?.name === nas.name)}.endpoint: the nas peer needs an endpoint (host:port): the Pi and the apps dial it`);
  }

  if (problems.length > 0 || !shape.success) throw new MeshError(problems);
  return { ...shape.data, peers };
}

/** The WireGuard interface's name on this peer. */
export function interfaceOf(mesh: Pick<Mesh, 'interface'>, peer: Peer): string {
  return peer.interface ?? mesh.interface;
}

/** The peers a peer has a tunnel to: the NAS is the hub; the Pi and the apps see only the NAS. */
export function tunnelPeers(mesh: Mesh, peer: Peer): Peer[] {
  if (peer.role === 'nas') return mesh.peers.filter((p) => p.name !== peer.name);
  return mesh.peers.filter((p) => p.role === 'nas');
}

/** The first free address of the network from .10 up (the Pi and the NAS take the low ones at init). */
export function nextFreeAddress(mesh: Mesh): string {
  const base = ipToInt(mesh.network.split('/')[0]!);
  const used = new Set(mesh.peers.map((p) => ipToInt(p.address)));
  for (let host = 10; host < 255; host++) {
    if (!used.has(base + host)) return intToIp(base + host);
  }
  throw new MeshError([`network: ${mesh.network} has no free address left`]);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}
