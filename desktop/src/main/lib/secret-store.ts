import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import type { SecretStorage } from '../../preload/api.js';

/** The keychain service the API key is kept under; the account is the relay's address. */
export const KEYCHAIN_SERVICE = 'boiler-controller';
/** How long the keychain may take to answer its first call before the fallback is taken. */
const KEYCHAIN_PROBE_MS = 5_000;

/** Where the API key is kept: one secret per relay address. */
export interface SecretStore {
  readonly kind: SecretStorage;
  /** Why the key is not in the keychain (or cannot be kept), for the owner to see; null when all is well. */
  readonly warning: string | null;
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<void>;
}

/** A secret could not be stored or read; the message says why. */
export class SecretStoreError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'SecretStoreError';
  }
}

/** keytar's calls the store uses (keytar is archived upstream, so nothing else sees it). */
export interface KeytarLike {
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  findCredentials(service: string): Promise<{ account: string; password: string }[]>;
}

/** Electron's safeStorage, as far as the fallback uses it. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only: which secret backend safeStorage chose; `basic_text` means a hard-coded key. */
  getSelectedStorageBackend?(): string;
}

/** The system keychain through keytar. */
export class KeychainStore implements SecretStore {
  readonly kind = 'keychain' as const;
  readonly warning = null;
  constructor(private readonly keytar: KeytarLike) {}

  get(account: string): Promise<string | null> {
    return this.keytar.getPassword(KEYCHAIN_SERVICE, account);
  }
  set(account: string, secret: string): Promise<void> {
    return this.keytar.setPassword(KEYCHAIN_SERVICE, account, secret);
  }
  async delete(account: string): Promise<void> {
    await this.keytar.deletePassword(KEYCHAIN_SERVICE, account);
  }
}

const SecretsFile = z.object({ version: z.literal(1), secrets: z.record(z.string(), z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/)) });

/** Secrets in one file, each encrypted by Electron's safeStorage (base64 in JSON), written 0600. */
export class EncryptedFileStore implements SecretStore {
  readonly kind = 'encrypted-file' as const;
  constructor(
    private readonly file: string,
    private readonly safe: SafeStorageLike,
    readonly warning: string,
  ) {}

  async get(account: string): Promise<string | null> {
    const sealed = (await this.read())[account];
    if (sealed === undefined) return null;
    try {
      return this.safe.decryptString(Buffer.from(sealed, 'base64'));
    } catch (err) {
      throw new SecretStoreError(`the stored key for ${account} cannot be decrypted (was the file copied from another machine or user?)`, { cause: err });
    }
  }

  async set(account: string, secret: string): Promise<void> {
    const secrets = await this.read();
    secrets[account] = this.safe.encryptString(secret).toString('base64');
    await this.write(secrets);
  }

  async delete(account: string): Promise<void> {
    const secrets = await this.read();
    if (!(account in secrets)) return;
    delete secrets[account];
    await this.write(secrets);
  }

  private async read(): Promise<Record<string, string>> {
    let raw: string;
    try {
      raw = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw new SecretStoreError(`the secrets file ${this.file} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(raw);
    } catch {
      json = null;
    }
    const parsed = SecretsFile.safeParse(json);
    if (!parsed.success) throw new SecretStoreError(`the secrets file ${this.file} is not one this app wrote; move it aside and pair again`);
    return { ...parsed.data.secrets };
  }

  private async write(secrets: Record<string, string>): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify({ version: 1, secrets }), { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, this.file);
  }
}

/** No store can keep the key safely: pairing is refused with the reason, rather than a key in plain text. */
export class NoSecretStore implements SecretStore {
  readonly kind = 'none' as const;
  constructor(readonly warning: string) {}
  get(): Promise<string | null> {
    return Promise.resolve(null);
  }
  set(): Promise<void> {
    return Promise.reject(new SecretStoreError(this.warning));
  }
  delete(): Promise<void> {
    return Promise.resolve();
  }
}

/** Loads keytar only when asked: its native module may be missing or built for another ABI. */
export async function loadKeytar(): Promise<KeytarLike> {
  const mod = (await import('keytar')) as KeytarLike & { default?: KeytarLike };
  return mod.default ?? mod;
}

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

export interface OpenSecretStoreOptions {
  /** Resolves keytar (tests pass the real one loaded; a rejection is a missing module). */
  keytar?: () => Promise<KeytarLike>;
  safeStorage: SafeStorageLike;
  /** The fallback file (in the app's user data folder). */
  file: string;
  platform?: NodeJS.Platform;
  probeMs?: number;
}

/**
 * The keychain when keytar loads and a Secret Service answers; otherwise a file encrypted with
 * safeStorage, with a warning to show; never safeStorage's plain-text backend (Linux `basic_text`).
 */
export async function openSecretStore(options: OpenSecretStoreOptions): Promise<SecretStore> {
  let why: string;
  try {
    const keytar = await (options.keytar ?? loadKeytar)();
    // A call that needs the Secret Service: on a kiosk without one it rejects (or hangs on D-Bus).
    await withDeadline(keytar.findCredentials(KEYCHAIN_SERVICE), options.probeMs ?? KEYCHAIN_PROBE_MS, 'the system keychain');
    return new KeychainStore(keytar);
  } catch (err) {
    why = (err as Error).message;
  }
  const safe = options.safeStorage;
  const backend = safe.getSelectedStorageBackend?.();
  if ((options.platform ?? process.platform) === 'linux' && (backend === 'basic_text' || backend === 'unknown')) {
    return new NoSecretStore(`No system keychain answered (${why}), and Electron's safeStorage has only its plain-text backend here: the API key is not stored. Install and unlock a keyring (gnome-keyring or KWallet) and pair again.`);
  }
  if (!safe.isEncryptionAvailable()) {
    return new NoSecretStore(`No system keychain answered (${why}), and Electron's safeStorage cannot encrypt here: the API key is not stored.`);
  }
  return new EncryptedFileStore(options.file, safe, `No system keychain answered (${why}); the API key is kept in a file encrypted with Electron safeStorage${backend === undefined ? '' : ` (${backend})`}.`);
}
