import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');

/** Starts bench/peers/<script> under tsx; resolves with the JSON of the first line it prints (its port, say). */
export function peer(script: string, args: string[] = []): Promise<{ child: ChildProcess; info: Record<string, unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(root, 'bench', 'peers', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, info: JSON.parse(line) as Record<string, unknown> }));
    child.once('exit', (code) => reject(new Error(`${script} exited ${code}`)));
  });
}
