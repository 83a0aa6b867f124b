import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';

/** A fingerprint as the relay prints it (AB:CD:… or plain hex); parseFingerprint checks it fully. */
const Fingerprint = z.string().trim().min(64).max(95);

/** What pairing saves beside the key (which is in the secret store): the relay and its certificate's pin. */
export const Pairing = z.object({ relay: z.url({ protocol: /^https$/ }), fingerprint: Fingerprint });
export type Pairing = z.infer<typeof Pairing>;

/** The pairing file in the app's user data folder, parsed on the way in. */
export class PairingFile {
  constructor(private readonly file: string) {}

  /** The saved pairing; null when there is none or the file is not one this app wrote. */
  async load(): Promise<Pairing | null> {
    let raw: string;
    try {
      raw = await readFile(this.file, 'utf8');
    } catch {
      return null;
    }
    try {
      const parsed = Pairing.safeParse(JSON.parse(raw));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async save(pairing: Pairing): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.tmp`;
    await writeFile(temp, JSON.stringify(Pairing.parse(pairing)), { mode: 0o600 });
    await rename(temp, this.file);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
