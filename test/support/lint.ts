import { ESLint } from 'eslint';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const root = join(import.meta.dirname, '..', '..');

/** The rules that need TypeScript's program (the config's type-aware block). */
const TYPE_AWARE_RULES = new Set(['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises']);

/**
 * The repository's own config, with or without type information. Without it (the import-boundary
 * rules, which read only the import text), the type-aware rules are filtered out and no TypeScript
 * program is built: a lint takes a second instead of the ten or more a program over the whole
 * repository costs, for the same verdict on the rules that remain. One instance per kind and worker.
 */
const linters = new Map<boolean, ESLint>();
function linter(typeAware: boolean): ESLint {
  let eslint = linters.get(typeAware);
  if (eslint === undefined) {
    eslint = typeAware
      ? new ESLint({ cwd: root })
      : new ESLint({
          cwd: root,
          overrideConfig: { files: ['**/*.ts'], languageOptions: { parserOptions: { project: null, projectService: false } } },
          ruleFilter: ({ ruleId }) => !TYPE_AWARE_RULES.has(ruleId),
        });
    linters.set(typeAware, eslint);
  }
  return eslint;
}

export interface LintOptions {
  /** Lint `source` as that existing file's text instead, without writing it. */
  asFile?: string;
  /** Build the TypeScript program so the type-aware rules run too (slow); off by default. */
  typeAware?: boolean;
}

/**
 * Lints `source` as a real temporary file at `dir` (relative to the repository root) with the
 * repository's own ESLint config, so a rule scoped by folder is tried where it applies. The file
 * (and any folder made for it) is removed before returning. Answers `rule: message` per problem.
 */
export async function lintTempFile(dir: string, source: string, options: LintOptions = {}): Promise<string[]> {
  const eslint = linter(options.typeAware ?? false);
  // A rule scoped to one named file (agent.ts) is tried on `source` in place of that file's text:
  // nothing is written, so the real file is never touched.
  if (options.asFile !== undefined) {
    const [result] = await eslint.lintText(source, { filePath: join(root, dir, options.asFile) });
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
  }
  const folder = join(root, dir);
  const made = mkdirSync(folder, { recursive: true });
  const file = join(folder, `tmp-lint-check-${randomUUID()}.ts`);
  writeFileSync(file, source);
  try {
    const [result] = await eslint.lintFiles([file]);
    return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
  } finally {
    rmSync(made ?? file, { recursive: true, force: true });
  }
}
