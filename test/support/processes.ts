import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';

export const repoRoot = join(import.meta.dirname, '..', '..');

/** A part of the system running as its own process, with its log lines to wait on. */
export interface RunningProcess {
  proc: ChildProcess;
  /** Every JSON log line so far. */
  lines: Record<string, unknown>[];
  /** Resolves with the first log line (past or future) the predicate accepts. */
  waitForLog(pred: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Resolves when the process has exited, with its code and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Starts `node --import tsx <entry>` (or plain node for a built .mjs) with the given environment (nothing inherited but PATH and HOME). */
export function startProcess(entry: string, env: Record<string, string>, nodeArgs: readonly string[] = []): RunningProcess {
  // Built bundles (.mjs) run on plain node; sources go through the tsx loader.
  // Every child also loads exit-with-parent.mjs: a test run that is killed leaves no agent or relay behind.
  const args = [
    '--import',
    join(repoRoot, 'test', 'support', 'exit-with-parent.mjs'),
    ...nodeArgs,
    ...(entry.endsWith('.mjs') ? [join(repoRoot, entry)] : ['--import', 'tsx', join(repoRoot, entry)]),
  ];
  const proc = spawn(process.execPath, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters: { pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }[] = [];
  let errText = '';
  proc.stderr?.on('data', (d: Buffer) => {
    errText += d.toString();
    if (errText.length > 100_000) errText = errText.slice(-50_000);
  });
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      line = { msg: text };
    }
    lines.push(line);
    if (lines.length > 20_000) lines.splice(0, 10_000);
    for (const w of [...waiters]) {
      if (w.pred(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  return {
    proc,
    lines,
    exited,
    stderr: () => errText,
    waitForLog(pred, timeoutMs = 20_000) {
      const found = lines.find(pred);
      if (found !== undefined) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          // The wait's own condition and the last lines seen, so a failure says what was awaited and where the process was.
          const recent = lines.slice(-8).map((l) => String(l.msg)).join(' | ');
          reject(new Error(`timed out after ${timeoutMs} ms waiting for a log line matching ${pred.toString().slice(0, 200)}; last lines: ${recent}; stderr:\n${errText.slice(-3000)}`));
        }, timeoutMs);
        const w = {
          pred,
          resolve: (l: Record<string, unknown>) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        waiters.push(w);
        void exited.then(({ code, signal }) => {
          if (waiters.includes(w)) {
            clearTimeout(timer);
            reject(new Error(`process exited (code ${code}, signal ${signal}) before the log line; stderr:\n${errText.slice(-3000)}`));
          }
        });
      });
    },
  };
}

/** Stops a process: SIGTERM, then SIGKILL if it has not exited in time. */
export async function stopProcess(p: RunningProcess, graceMs = 5000): Promise<void> {
  if (p.proc.exitCode !== null || p.proc.signalCode !== null) return;
  p.proc.kill('SIGTERM');
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), graceMs);
  await p.exited;
  clearTimeout(timer);
}

/** A process under test with the temporary files it was given. */
export interface ProcessUnderTest {
  stop(): Promise<void>;
  cleanup(): void;
}

/** Stops each process in the order given (the relay before the agent), then removes their files. */
export async function stopAndCleanUp(...parts: (ProcessUnderTest | undefined)[]): Promise<void> {
  for (const p of parts) await p?.stop();
  for (const p of parts) p?.cleanup();
}
