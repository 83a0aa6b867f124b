import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import buildAgent from '../../setup/build-agent.js';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

/**
 * Builds what the sites run, so the run never tests a stale build: the UI the relay serves
 * (out/renderer, with the app's main and preload) and the agent's bundle that startAgent runs.
 */
export default function buildUi(): void {
  execFileSync(process.execPath, [join(repoRoot, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build', '--logLevel', 'warn'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  buildAgent();
}
