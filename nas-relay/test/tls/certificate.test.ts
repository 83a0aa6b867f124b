import { X509Certificate, createPrivateKey } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  SELF_SIGNED_CERT_FILE,
  SELF_SIGNED_KEY_FILE,
  TlsSetupError,
  certificateFingerprint,
  loadRelayTls,
  parseFingerprint,
  subjectAltNames,
} from '../../src/tls/index.js';
import { useTempDirs } from './temp-dir.js';

const tempDir = useTempDirs();

/** What `openssl x509 -fingerprint -sha256` prints for a certificate file, e.g. "AB:CD:…". */
function opensslFingerprint(certFile: string): string {
  const out = execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256', '-in', certFile], { encoding: 'utf8' });
  const m = /=([0-9A-F:]+)\s*$/.exec(out);
  if (m?.[1] === undefined) throw new Error(`unexpected openssl output: ${out}`);
  return m[1];
}

/** A self-signed pair made outside the code under test. */
function opensslPair(dir: string, cn = 'elsewhere'): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'given-cert.pem');
  const keyFile = join(dir, 'given-key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${cn}`, '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  return { certFile, keyFile };
}

describe('loadRelayTls with no TLS_CERT/TLS_KEY', () => {
  it('makes a self-signed pair in the data directory on first start, key mode 0600, and returns its SHA-256 fingerprint as openssl prints it', async () => {
    const dir = tempDir();
    const tls = await loadRelayTls({ dataDir: dir, hostName: 'nas.example.lan' });
    expect(tls.origin).toBe('generated');
    expect(tls.certFile).toBe(join(dir, SELF_SIGNED_CERT_FILE));
    expect(tls.keyFile).toBe(join(dir, SELF_SIGNED_KEY_FILE));
    expect(readdirSync(dir).sort()).toEqual([SELF_SIGNED_CERT_FILE, SELF_SIGNED_KEY_FILE].sort());
    expect(statSync(tls.keyFile).mode & 0o777).toBe(0o600);
    expect(tls.cert).toBe(readFileSync(tls.certFile, 'utf8'));
    expect(tls.key).toBe(readFileSync(tls.keyFile, 'utf8'));

    expect(tls.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(tls.fingerprint).toBe(opensslFingerprint(tls.certFile));
    const x509 = new X509Certificate(tls.cert);
    expect(tls.fingerprint).toBe(x509.fingerprint256);
    expect(x509.checkPrivateKey(createPrivateKey(tls.key))).toBe(true);
    expect(x509.ca).toBe(false);
    expect(x509.verify(x509.publicKey)).toBe(true);
    expect(tls.expiresAt).toBe(Date.parse(x509.validTo));
    expect(tls.expiresAt).toBeGreaterThan(Date.now() + 365 * 24 * 3600_000);

    const san = x509.subjectAltName ?? '';
    expect(san).toContain('IP Address:127.0.0.1');
    expect(san).toMatch(/IP Address:(::1|0:0:0:0:0:0:0:1)(,|$)/);
    expect(san).toContain('DNS:localhost');
    expect(san).toContain('DNS:nas.example.lan');
    expect(x509.checkIP('::1')).toBe('::1');
    expect(x509.checkHost('nas.example.lan')).toBe('nas.example.lan');
  });

  it("names the machine's own host name when none is given", async () => {
    const tls = await loadRelayTls({ dataDir: tempDir() });
    expect(new X509Certificate(tls.cert).subjectAltName).toContain(`DNS:${hostname()}`);
  });

  it('reuses the same files and fingerprint on the next start', async () => {
    const dir = tempDir();
    const first = await loadRelayTls({ dataDir: dir, hostName: 'nas' });
    const mtime = statSync(first.certFile).mtimeMs;
    const second = await loadRelayTls({ dataDir: dir, hostName: 'nas' });
    expect(second.origin).toBe('reused');
    expect(second.fingerprint).toBe(first.fingerprint);
    expect(second.cert).toBe(first.cert);
    expect(second.key).toBe(first.key);
    expect(statSync(second.certFile).mtimeMs).toBe(mtime);
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('makes the data directory when it does not exist yet', async () => {
    const dir = join(tempDir(), 'data', 'relay');
    const tls = await loadRelayTls({ dataDir: dir, hostName: 'nas' });
    expect(existsSync(tls.certFile)).toBe(true);
  });

  it('makes each first start its own pair', async () => {
    const a = await loadRelayTls({ dataDir: tempDir(), hostName: 'nas' });
    const b = await loadRelayTls({ dataDir: tempDir(), hostName: 'nas' });
    expect(a.fingerprint).not.toBe(b.fingerprint);
  });

  it('puts the key back to mode 0600 when it finds it readable by others', async () => {
    const dir = tempDir();
    const first = await loadRelayTls({ dataDir: dir, hostName: 'nas' });
    execFileSync('chmod', ['0644', first.keyFile]);
    await loadRelayTls({ dataDir: dir, hostName: 'nas' });
    expect(statSync(first.keyFile).mode & 0o777).toBe(0o600);
  });

  it('makes a new pair when a key was left without its certificate (a start that died half way)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, SELF_SIGNED_KEY_FILE), 'half-made');
    const tls = await loadRelayTls({ dataDir: dir, hostName: 'nas' });
    expect(tls.origin).toBe('generated');
    expect(new X509Certificate(tls.cert).checkPrivateKey(createPrivateKey(tls.key))).toBe(true);
  });

  it('refuses a certificate whose key is missing or not its own, rather than silently changing the pin', async () => {
    const dir = tempDir();
    const first = await loadRelayTls({ dataDir: dir, hostName: 'nas' });
    const other = opensslPair(tempDir());
    writeFileSync(first.keyFile, readFileSync(other.keyFile));
    await expect(loadRelayTls({ dataDir: dir, hostName: 'nas' })).rejects.toThrow(/is not the key of the certificate/);
    unlinkSync(first.keyFile);
    await expect(loadRelayTls({ dataDir: dir, hostName: 'nas' })).rejects.toThrow(TlsSetupError);
    expect(readFileSync(first.certFile, 'utf8')).toBe(first.cert);
  });

  it('says clearly when openssl is missing', async () => {
    const dir = tempDir();
    const err = await loadRelayTls({ dataDir: dir, hostName: 'nas', openssl: join(dir, 'no-such-openssl') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TlsSetupError);
    expect(String(err)).toMatch(/openssl is needed .* not found .*TLS_CERT and TLS_KEY/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('loadRelayTls with TLS_CERT/TLS_KEY', () => {
  it('serves the given pair and makes nothing in the data directory', async () => {
    const given = opensslPair(tempDir());
    const dataDir = tempDir();
    const tls = await loadRelayTls({ ...given, dataDir });
    expect(tls.origin).toBe('configured');
    expect(tls.cert).toBe(readFileSync(given.certFile, 'utf8'));
    expect(tls.key).toBe(readFileSync(given.keyFile, 'utf8'));
    expect(tls.fingerprint).toBe(opensslFingerprint(given.certFile));
    expect(readdirSync(dataDir)).toEqual([]);
  });

  it('names the variable that is missing, unreadable or wrong', async () => {
    const given = opensslPair(tempDir());
    const other = opensslPair(tempDir(), 'other');
    const dataDir = tempDir();
    await expect(loadRelayTls({ certFile: given.certFile, dataDir })).rejects.toThrow(/^TLS_KEY: required when TLS_CERT is set/);
    await expect(loadRelayTls({ keyFile: given.keyFile, dataDir })).rejects.toThrow(/^TLS_CERT: required when TLS_KEY is set/);
    await expect(loadRelayTls({ certFile: join(dataDir, 'nope.pem'), keyFile: given.keyFile, dataDir })).rejects.toThrow(/^TLS_CERT: cannot read .*nope\.pem \(ENOENT\)/);
    await expect(loadRelayTls({ certFile: given.keyFile, keyFile: given.keyFile, dataDir })).rejects.toThrow(/^TLS_CERT: .* is not a PEM certificate/);
    await expect(loadRelayTls({ certFile: given.certFile, keyFile: given.certFile, dataDir })).rejects.toThrow(/^TLS_KEY: .* is not an unencrypted PEM private key/);
    await expect(loadRelayTls({ certFile: given.certFile, keyFile: other.keyFile, dataDir })).rejects.toThrow(/^TLS_KEY: .* is not the key of the certificate/);
  });
});

describe('subjectAltNames', () => {
  it('always names the loopback addresses and localhost, and adds a plain host name or address', () => {
    expect(subjectAltNames('nas')).toEqual(['IP:127.0.0.1', 'IP:::1', 'DNS:localhost', 'DNS:nas']);
    expect(subjectAltNames('nas.lan.')).toContain('DNS:nas.lan');
    expect(subjectAltNames('10.6.0.2')).toContain('IP:10.6.0.2');
    expect(subjectAltNames('localhost')).toHaveLength(3);
    // Nothing that could change the openssl config it is written into.
    expect(subjectAltNames('evil\n[server]\nbasicConstraints=CA:TRUE')).toHaveLength(3);
    expect(subjectAltNames('a, DNS:b')).toHaveLength(3);
  });
});

describe('fingerprints', () => {
  it('computes the SHA-256 of the DER certificate and reads it back with or without colons, in either case', async () => {
    const tls = await loadRelayTls({ dataDir: tempDir(), hostName: 'nas' });
    const der = new X509Certificate(tls.cert).raw;
    expect(certificateFingerprint(der)).toBe(tls.fingerprint);
    expect(parseFingerprint(tls.fingerprint.toLowerCase())).toEqual(parseFingerprint(tls.fingerprint.replace(/:/g, '')));
    expect(parseFingerprint(tls.fingerprint)).toHaveLength(32);
    expect(() => parseFingerprint(tls.fingerprint.slice(3))).toThrow(TlsSetupError);
    expect(() => parseFingerprint('ZZ'.repeat(32))).toThrow(TlsSetupError);
  });
});
