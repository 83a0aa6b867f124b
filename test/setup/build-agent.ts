import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Builds the agent's bundle (`npm run build:agent`, esbuild, about a second) before any test file
 * runs, so the process tests start what a Pi runs (agent/dist/main.mjs, the unit file's ExecStart)
 * and always from the sources as they are now. A bundle starts on plain node, about 1.5 s of CPU
 * less per agent than the tsx loader, which adds up over the suite's hundred-odd agent starts.
 */
export default function buildAgent(): void {
  const root = join(import.meta.dirname, '..', '..');
  const result = spawnSync('npm', ['run', '--silent', 'build:agent'], { cwd: root, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`npm run build:agent failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}`);
  }
}
