import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { TlsSetupError } from './errors.js';
import { certificateFingerprint } from './fingerprint.js';

/** Which part serves with the pair: it names the files and the certificate. */
export type TlsRole = 'agent' | 'relay';

/** Names of the self-signed pair a part makes in its data directory. */
export function selfSignedFiles(role: TlsRole): { cert: string; key: string } {
  return { cert: `${role}-tls-cert.pem`, key: `${role}-tls-key.pem` };
}

/** How long a self-signed certificate is valid: pinned clients do not care, browsers show it. */
const SELF_SIGNED_DAYS = 3650;

export interface TlsPairOptions {
  /** agent: its /ws and API; relay: the apps' API. */
  role: TlsRole;
  /** TLS_CERT: a PEM certificate (chain) to serve instead of a self-signed one. */
  certFile?: string | undefined;
  /** TLS_KEY: its PEM private key. */
  keyFile?: string | undefined;
  /** Where a self-signed pair is kept: the folder of DB_PATH. */
  dataDir: string;
  /** Put in the certificate's names beside localhost and the loopback addresses; os.hostname() when not given. */
  hostName?: string;
  /** The openssl program; `openssl` on PATH when not given. */
  openssl?: string;
}

/** What a part serves HTTPS and wss with. */
export interface TlsPair {
  /** PEM, for https.createServer / tls.createServer. */
  cert: string;
  key: string;
  /** SHA-256 of the (leaf) certificate's DER, AB:CD:… form: print it so clients can pin it. */
  fingerprint: string;
  certFile: string;
  keyFile: string;
  /** configured: TLS_CERT/TLS_KEY; generated: made now; reused: made on an earlier start. */
  origin: 'configured' | 'generated' | 'reused';
  /** When the certificate stops being valid (epoch ms). */
  expiresAt: number;
}

/**
 * A part's certificate and key: TLS_CERT/TLS_KEY when given, otherwise a self-signed pair
 * kept in the data directory, made on the first start with openssl and reused afterwards (so
 * a pinned fingerprint stays valid). Throws TlsSetupError naming what is wrong.
 */
export async function loadTlsPair(options: TlsPairOptions): Promise<TlsPair> {
  const { certFile, keyFile } = options;
  if (certFile !== undefined || keyFile !== undefined) {
    if (certFile === undefined) throw new TlsSetupError('TLS_CERT: required when TLS_KEY is set (unset)');
    if (keyFile === undefined) throw new TlsSetupError('TLS_KEY: required when TLS_CERT is set (unset)');
    return { ...(await readPair(certFile, keyFile, { cert: 'TLS_CERT', key: 'TLS_KEY' })), origin: 'configured' };
  }
  const dir = options.dataDir;
  const names = selfSignedFiles(options.role);
  const selfCert = join(dir, names.cert);
  const selfKey = join(dir, names.key);
  // The certificate is renamed into place last, so its presence means the pair is complete.
  if (await exists(selfCert)) {
    if ((await stat(selfKey).catch(() => null))?.isFile() !== true) {
      throw new TlsSetupError(`${selfKey}: missing beside ${selfCert}; restore it, or delete the certificate to make a new pair (clients must then pin the new fingerprint)`);
    }
    const pair = await readPair(selfCert, selfKey, { cert: 'self-signed certificate', key: 'self-signed key' });
    await chmod(selfKey, 0o600);
    return { ...pair, origin: 'reused' };
  }
  await mkdir(dir, { recursive: true });
  await makeSelfSigned({ certFile: selfCert, keyFile: selfKey, hostName: options.hostName ?? hostname(), openssl: options.openssl ?? 'openssl', role: options.role });
  return { ...(await readPair(selfCert, selfKey, { cert: 'self-signed certificate', key: 'self-signed key' })), origin: 'generated' };
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => null)) !== null;
}

async function readPair(certFile: string, keyFile: string, names: { cert: string; key: string }): Promise<Omit<TlsPair, 'origin'>> {
  const read = async (name: string, path: string): Promise<string> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      throw new TlsSetupError(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  };
  const cert = await read(names.cert, certFile);
  const key = await read(names.key, keyFile);
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new TlsSetupError(`${names.cert}: ${certFile} is not a PEM certificate`, { cause: err });
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new TlsSetupError(`${names.key}: ${keyFile} is not an unencrypted PEM private key`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) throw new TlsSetupError(`${names.key}: ${keyFile} is not the key of the certificate in ${certFile}`);
  return { cert, key, fingerprint: certificateFingerprint(x509), certFile, keyFile, expiresAt: Date.parse(x509.validTo) };
}

/** The subjectAltName entries: loopback by address and name, and the machine's host name. */
export function subjectAltNames(hostName: string): string[] {
  const names = ['IP:127.0.0.1', 'IP:::1', 'DNS:localhost'];
  const host = hostName.trim().replace(/\.$/, '');
  // Written into an openssl config file, so only plain names and addresses go in.
  if (isIP(host) !== 0) {
    if (host !== '127.0.0.1' && host !== '::1') names.push(`IP:${host}`);
  } else if (/^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(host) && host.toLowerCase() !== 'localhost') {
    names.push(`DNS:${host}`);
  }
  return names;
}

function opensslConfig(altNames: readonly string[], role: TlsRole): string {
  return [
    '[req]',
    'distinguished_name = dn',
    'x509_extensions = server',
    'prompt = no',
    '[dn]',
    `CN = Boiler Controller ${role}`,
    '[server]',
    'basicConstraints = critical, CA:FALSE',
    'keyUsage = critical, digitalSignature',
    'extendedKeyUsage = serverAuth',
    'subjectKeyIdentifier = hash',
    `subjectAltName = ${altNames.join(', ')}`,
    '',
  ].join('\n');
}

function run(program: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 30_000 }, (err, _stdout, stderr) => {
      if (err === null) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        reject(new TlsSetupError(`openssl is needed to make the self-signed certificate and was not found (${program}); install it, or set TLS_CERT and TLS_KEY`, { cause: err }));
        return;
      }
      reject(new TlsSetupError(`openssl failed to make the self-signed certificate: ${String(stderr).trim() || err.message}`, { cause: err }));
    });
  });
}

/**
 * Makes a self-signed P-256 certificate and key with the openssl CLI: made in a private temp
 * folder beside the targets, the key set to mode 0600, then renamed into place key first.
 */
export async function makeSelfSigned(options: { certFile: string; keyFile: string; hostName: string; openssl: string; days?: number; role?: TlsRole }): Promise<void> {
  const role = options.role ?? 'relay';
  const work = await mkdtemp(join(dirname(options.certFile), `.${role}-tls-`));
  try {
    const config = join(work, 'openssl.cnf');
    const cert = join(work, 'cert.pem');
    const key = join(work, 'key.pem');
    await writeFile(config, opensslConfig(subjectAltNames(options.hostName), role), { mode: 0o600 });
    await run(options.openssl, [
      'req', '-x509', '-config', config,
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256',
      '-days', String(options.days ?? SELF_SIGNED_DAYS),
      '-keyout', key, '-out', cert,
    ]);
    await chmod(key, 0o600);
    await chmod(cert, 0o644);
    await rename(key, options.keyFile);
    await rename(cert, options.certFile);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
