import { describe, it, expect } from 'vitest';
import { lintTempFile } from '../../test/support/lint.js';

/** Lints a real temporary file inside shared/src with the repository's own ESLint config. */
const lintSharedFile = (source: string): Promise<string[]> => lintTempFile('shared/src', source);

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
