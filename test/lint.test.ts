import { describe, it, expect } from 'vitest';
import { lintTempFile } from './support/lint.js';

// The type-aware promise rules are on for every part: a dropped promise loses its rejection.

describe('type-aware promise rules', () => {
  it.each(['agent/src', 'nas-relay/src', 'service/src'])('%s: a floating promise and an async callback where void is expected fail the lint', async (dir) => {
    const messages = await lintTempFile(
      dir,
      'async function work(): Promise<void> {}\nwork();\nexport const timer = setInterval(async () => { await work(); }, 1000);\nvoid work(); // dropped on purpose: passes\n',
      { typeAware: true },
    );
    expect(messages.filter((m) => m.startsWith('@typescript-eslint/no-floating-promises'))).toHaveLength(1);
    expect(messages.filter((m) => m.startsWith('@typescript-eslint/no-misused-promises'))).toHaveLength(1);
  });
});
