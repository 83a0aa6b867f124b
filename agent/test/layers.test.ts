import { describe, it, expect } from 'vitest';
import { lintTempFile } from '../../test/support/lint.js';

// hardware/, control/ and store/ sit below the Agent and its edges (api/, sync/): an upward import
// fails the lint, so a type the lower layers need is moved down instead.

const restricted = (messages: string[]) => messages.filter((m) => m.startsWith('no-restricted-imports'));

describe('the agent layers import only downward', () => {
  it.each(['agent/src/hardware', 'agent/src/hardware/simulator', 'agent/src/control', 'agent/src/store'])('%s may not import api/, sync/ or agent.ts', async (dir) => {
    const up = dir.split('/').length - 2; // how many ../ reach agent/src
    const toSrc = '../'.repeat(up);
    const messages = await lintTempFile(
      dir,
      [
        `import type { AgentFacade } from '${toSrc}api/server.js';`,
        `import type { LinkServer } from '${toSrc}sync/link-server.js';`,
        `import type { Agent } from '${toSrc}agent.js';`,
        'export type Above = [AgentFacade, LinkServer, Agent];',
        '',
      ].join('\n'),
    );
    expect(restricted(messages)).toHaveLength(3);
  });

  it('a lower layer importing its own and lower files passes', async () => {
    const messages = await lintTempFile(
      'agent/src/control',
      "import type { Hardware } from '../hardware/types.js';\nimport type { ZonesFile } from '../zones.js';\nexport type Below = [Hardware, ZonesFile];\n",
    );
    expect(messages).toEqual([]);
  });

  it('the edges above may still import the Agent and the API types', async () => {
    const messages = await lintTempFile('agent/src/sync', "import type { Agent } from '../agent.js';\nimport type { AgentFacade } from '../facade.js';\nimport type { ApiOptions } from '../api/server.js';\nexport type Edge = [Agent, AgentFacade, ApiOptions];\n");
    expect(messages).toEqual([]);
  });

  it('agent.ts and facade.ts may not import an edge (api/, sync/): they answer in domain terms', async () => {
    const messages = await lintTempFile(
      'agent/src',
      "import type { ApiOptions } from './api/server.js';\nimport type { LinkServer } from './sync/link-server.js';\nexport type Edge = [ApiOptions, LinkServer];\n",
      { asFile: 'agent.ts' },
    );
    expect(restricted(messages)).toHaveLength(2);
  });
});
