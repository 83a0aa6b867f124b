import { ESLint } from 'eslint';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const root = join(import.meta.dirname, '..', '..');

/**
 * Lints `source` as a real temporary file at `dir` (relative to the repository root) with the
 * repository's own ESLint config, so a rule scoped by folder is tried where it applies. The file
 * (and any folder made for it) is removed before returning. Answers `rule: message` per problem.
 * With `asFile`, `source` is linted as that existing file's text instead, without writing it.
 */
export async function lintTempFile(dir: string, source: string, asFile?: string): Promise<string[]> {
  // A rule scoped to one named file (agent.ts) is tried on `source` in place of that file's text:
  // nothing is written, so the real file is never touched.
  if (asFile !== undefined) {
    const [result] = await new ESLint({ cwd: root }).lintText(source, { filePath: join(root, dir, asFile) });
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
  }
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
