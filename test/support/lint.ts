import { ESLint } from 'eslint';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const root = join(import.meta.dirname, '..', '..');

/**
 * Lints `source` as a real temporary file at `dir` (relative to the repository root) with the
 * repository's own ESLint config, so a rule scoped by folder is tried where it applies. The file
 * (and any folder made for it) is removed before returning. Answers `rule: message` per problem.
 */
export async function lintTempFile(dir: string, source: string): Promise<string[]> {
  const folder = join(root, dir);
  const made = mkdirSync(folder, { recursive: true });
  const file = join(folder, `tmp-lint-check-${randomUUID()}.ts`);
  writeFileSync(file, source);
  try {
    const [result] = await new ESLint({ cwd: root }).lintFiles([file]);
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
  } finally {
    rmSync(made ?? file, { recursive: true, force: true });
  }
}
