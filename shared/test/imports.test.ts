import { describe, it, expect, afterEach } from 'vitest';
import { ESLint } from 'eslint';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

const root = join(import.meta.dirname, '..', '..');
const temp: string[] = [];

afterEach(() => {
  for (const f of temp.splice(0)) rmSync(f, { force: true });
});

/** Lints a real temporary file inside shared/src with the repository's own ESLint config. */
async function lintSharedFile(source: string): Promise<string[]> {
  const file = join(root, 'shared', 'src', `tmp-import-check-${randomUUID()}.ts`);
  temp.push(file);
  writeFileSync(file, source);
  const eslint = new ESLint({ cwd: root });
  const [result] = await eslint.lintFiles([file]);
  return (result?.messages ?? []).map((m) => `${m.ruleId ?? 'fatal'}: ${m.message}`);
}

describe('shared/ imports nothing but zod', () => {
  it('fails lint when a shared file imports node:fs', async () => {
    const messages = await lintSharedFile("import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n");
    expect(messages.some((m) => m.startsWith('no-restricted-imports'))).toBe(true);
  });

  it('fails lint on electron, a bare node module and DOM or Node globals', async () => {
    const messages = await lintSharedFile(
      "import { app } from 'electron';\nimport path from 'path';\nexport const x = [app, path, window.location, Buffer.from('a'), process.env];\n",
    );
    expect(messages.filter((m) => m.startsWith('no-restricted-imports'))).toHaveLength(2);
    expect(messages.filter((m) => m.startsWith('no-restricted-globals'))).toHaveLength(3);
  });

  it('passes a file that imports zod and a sibling', async () => {
    const messages = await lintSharedFile("import { z } from 'zod';\nimport { crc32 } from './checksum.js';\nexport const s = z.string().transform(crc32);\n");
    expect(messages).toEqual([]);
  });
});
