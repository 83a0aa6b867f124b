import { parseArgs } from 'node:util';
import { formatTable, writeJson, type BenchRow } from './table.js';
import { benchCodec } from './codec.js';
import { benchEngine, benchAgentIdle, benchAgentRealTime } from './agent.js';
import { benchCatchUp, benchLag } from './sync.js';
import { benchCommands } from './commands.js';
import { benchRetention } from './retention.js';
import { benchHistory } from './store-history.js';
import { benchRelaySyncMemory } from './relay-sync-memory.js';
import { rawDeliveryLag, withLagFloors } from './lag-floor.js';
import { benchUi } from './ui.js';

/** The BATCH_INTERVAL (s) the replica lag suite runs the agent with. */
const LAG_BATCH_INTERVAL_S = 2;

/**
 * Each suite measures its figures beside a floor taken in the same run. Every row of DESIGN.md's
 * speed table has a suite here but the UI's (drawing time, renderer size), which the UI suite measures.
 */
const suites: Record<string, () => Promise<BenchRow[]> | BenchRow[]> = {
  codec: benchCodec,
  engine: benchEngine,
  'agent-idle': () => benchAgentIdle(),
  'agent-real-time': () => benchAgentRealTime(),
  'sync-catch-up': benchCatchUp,
  'sync-lag': async () => {
    const raw = await rawDeliveryLag();
    return withLagFloors(await benchLag(65, LAG_BATCH_INTERVAL_S), raw, LAG_BATCH_INTERVAL_S);
  },
  commands: () => benchCommands(),
  history: benchHistory,
  'relay-sync-memory': () => benchRelaySyncMemory(),
  retention: () => benchRetention(),
  ui: benchUi,
};

const { values } = parseArgs({
  options: { json: { type: 'string' }, only: { type: 'string' } },
});

const chosen = values.only === undefined ? Object.keys(suites) : values.only.split(',');
const rows: BenchRow[] = [];
const started = performance.now();
let running = '';
// A promise a suite left behind (a timer of a helper it gave up on) may reject after it returned:
// reported as a FAILED row of the suite running then, rather than ending the run.
process.on('unhandledRejection', (err) => {
  process.exitCode = 1;
  const text = err instanceof Error ? err.message : String(err);
  rows.push({ suite: running, name: `FAILED (unhandled rejection, this or an earlier suite): ${text.split('\n')[0]?.slice(0, 100) ?? ''}`, value: Number.NaN, unit: '' });
});
for (const name of chosen) {
  running = name;
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
process.stderr.write(`bench: ${chosen.join(', ')} took ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
if (values.json !== undefined) writeJson(values.json, rows);
