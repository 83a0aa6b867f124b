import { readFileSync } from 'node:fs';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** A test file that starts real agents or relays (or the whole system): most of its time is spent waiting on real clocks. */
const STARTS_PROCESSES = /support\/(agent-process|relay-process|processes|restart)\.js|startProcess\(/;

function startsProcesses(file: string): boolean {
  try {
    return STARTS_PROCESSES.test(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * Vitest orders files by their last durations when it has them, longest first, so the run does not
 * end on one long file; on a fresh checkout (CI) it has none and orders by file size, which puts
 * the short process-test files, the longest to run, last. Without durations, files that start
 * processes go first (each group still by vitest's order): they mostly wait, so they overlap well
 * with the CPU-bound unit tests that follow them.
 */
export default class ProcessTestsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const cache = this.ctx.cache;
    const known = sorted.every((f) => cache.getFileTestResults(`${f.project.name}:${f.moduleId.slice(this.ctx.config.root.length + 1)}`) !== undefined);
    if (known) return sorted;
    const slow = sorted.filter((f) => startsProcesses(f.moduleId));
    return [...slow, ...sorted.filter((f) => !slow.includes(f))];
  }
}
