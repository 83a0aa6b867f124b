import { parseArgs } from 'node:util';
import { formatTable, writeJson, type BenchRow } from './table.js';
import { benchCodec } from './codec.js';
import { benchEngine, benchAgentIdle } from './agent.js';
import { benchCatchUp, benchLag } from './sync.js';
import { benchCommands } from './commands.js';
import { benchRetention } from './retention.js';

/** Each suite measures its figures beside a floor taken in the same run. */
const suites: Record<string, () => Promise<BenchRow[]> | BenchRow[]> = {
  codec: benchCodec,
  engine: benchEngine,
  'agent-idle': () => benchAgentIdle(),
  'sync-catch-up': benchCatchUp,
  'sync-lag': () => benchLag(),
  commands: () => benchCommands(),
  retention: () => benchRetention(),
};

const { values } = parseArgs({
  options: { json: { type: 'string' }, only: { type: 'string' } },
});

const chosen = values.only === undefined ? Object.keys(suites) : values.only.split(',');
const rows: BenchRow[] = [];
for (const name of chosen) {
  const suite = suites[name];
  if (suite === undefined) {
    console.error(`unknown suite ${name}; suites: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  process.stderr.write(`bench: ${name}...\n`);
  try {
    rows.push(...(await suite()));
  } catch (err) {
    // One suite's failure is reported in the table, and the others still run.
    process.exitCode = 1;
    rows.push({ suite: name, name: `FAILED: ${(err as Error).message.split('\n')[0]?.slice(0, 100) ?? ''}`, value: Number.NaN, unit: '' });
  }
}
console.log(formatTable(rows));
if (values.json !== undefined) writeJson(values.json, rows);
