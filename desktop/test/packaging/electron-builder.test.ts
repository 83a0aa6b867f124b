import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { FuseState, FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { repoRoot } from '../../../test/support/processes.js';

// The Ajv electron-builder validates its config with (v8; the repository's own is eslint's v6).
interface AjvLike {
  validate(schema: object, data: unknown): boolean;
  errors?: unknown[] | null;
}
const { Ajv } = createRequire(join(repoRoot, 'node_modules/app-builder-lib/package.json'))('ajv') as { Ajv: new (options: object) => AjvLike };

const config = parse(readFileSync(join(repoRoot, 'electron-builder.yml'), 'utf8')) as Record<string, unknown> & {
  linux: { target: { target: string; arch: string[] }[]; extraFiles: { from: string }[] };
  afterPack: string;
  extraMetadata: { main: string };
  files: string[];
};

describe('electron-builder.yml', () => {
  it("is valid against electron-builder's own schema (app-builder-lib/scheme.json)", () => {
    const schema = JSON.parse(readFileSync(join(repoRoot, 'node_modules/app-builder-lib/scheme.json'), 'utf8')) as object;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const valid = ajv.validate(schema, config);
    expect(ajv.errors ?? [], JSON.stringify(ajv.errors?.slice(0, 5))).toEqual([]);
    expect(valid).toBe(true);
    // And the schema does refuse what is not config (so the check above can fail).
    expect(ajv.validate(schema, { ...config, linux: { target: 42 } })).toBe(false);
  });

  it('builds AppImage and deb for x64 and arm64, from the built main, preload and renderer', () => {
    expect(config.linux.target).toEqual([
      { target: 'AppImage', arch: ['x64', 'arm64'] },
      { target: 'deb', arch: ['x64', 'arm64'] },
    ]);
    expect(config.extraMetadata.main).toBe('out/main/index.js');
    for (const part of ['out/main/**', 'out/preload/**', 'out/renderer/**']) expect(config.files).toContain(part);
  });

  it('names files that exist: the afterPack hook, the icons, the kiosk autostart entry', () => {
    expect(existsSync(join(repoRoot, config.afterPack))).toBe(true);
    for (const size of [16, 32, 48, 64, 128, 256, 512]) {
      const png = readFileSync(join(repoRoot, 'build/icons', `${size}x${size}.png`));
      expect(png.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([size, size]);
    }
    const entryFile = config.linux.extraFiles[0]?.from ?? '';
    const entry = readFileSync(join(repoRoot, entryFile), 'utf8');
    expect(entry).toMatch(/^\[Desktop Entry\]$/m);
    expect(entry).toMatch(/^Type=Application$/m);
    expect(entry).toMatch(/^Exec=boiler-controller --kiosk( |$)/m);
    expect(entry).toMatch(/^X-GNOME-Autostart-enabled=true$/m);
  });
});

describe('the afterPack hook', () => {
  it('flips the fuses on the packed binary: RunAsNode off, cookie encryption on, ASAR integrity on, app only from the ASAR', async () => {
    // A stand-in for the packed executable: bytes around Electron's fuse wire as Electron 45 ships it (9 fuses).
    const dir = mkdtempSync(join(tmpdir(), 'boiler-fuses-'));
    const shipped = '101100011';
    writeFileSync(join(dir, 'boiler-controller'), Buffer.concat([randomBytes(4096), Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'), Buffer.from([1, shipped.length]), Buffer.from(shipped), randomBytes(4096)]));
    const hook = (await import(join(repoRoot, config.afterPack))) as { default(context: unknown): Promise<void> };
    await hook.default({ appOutDir: dir, packager: { executableName: 'boiler-controller' } });
    const wire = await getCurrentFuseWire(join(dir, 'boiler-controller'));
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
  });
});
