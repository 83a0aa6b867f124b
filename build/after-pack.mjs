// electron-builder's afterPack hook: flips the Electron fuses on the packed binary, before the
// ASAR integrity hash is embedded and before the AppImage or deb is made of it.
import { join } from 'node:path';
import { FuseV1Options, FuseVersion, flipFuses } from '@electron/fuses';

/** The fuses this app ships with (desktop/README.md, the security checklist). */
export const FUSES = {
  version: FuseVersion.V1,
  // ELECTRON_RUN_AS_NODE would turn the app into a plain Node with the user's rights.
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  // Kept: the built page's ES modules are loaded from file:// (loadFile), which needs the file protocol's privileges.
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: true,
};

/** The hook: the Linux executable in the packed folder, fuses flipped in place. */
export default async function afterPack(context) {
  const executable = join(context.appOutDir, context.packager.executableName);
  await flipFuses(executable, FUSES);
}
