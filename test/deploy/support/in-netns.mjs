// Runs an agent or relay entry inside a network namespace, for startProcess (test/support/processes.ts):
//   BOILER_NETNS=NAME BOILER_NETNS_ENTRY=agent/dist/main.mjs node in-netns.mjs
// `ip netns exec` execs node in place, so the signals this wrapper forwards reach the part itself,
// and the part loads exit-with-parent.mjs too: a killed test run leaves nothing in the namespace.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ns = process.env.BOILER_NETNS;
const entry = process.env.BOILER_NETNS_ENTRY;
if (!ns || !entry) {
  process.stderr.write('in-netns: BOILER_NETNS and BOILER_NETNS_ENTRY are required\n');
  process.exit(2);
}
const root = join(import.meta.dirname, '..', '..', '..');
const env = { ...process.env };
delete env.BOILER_NETNS;
delete env.BOILER_NETNS_ENTRY;
const args = [
  'netns', 'exec', ns, process.execPath,
  '--import', join(root, 'test', 'support', 'exit-with-parent.mjs'),
  ...(entry.endsWith('.mjs') ? [join(root, entry)] : ['--import', 'tsx', join(root, entry)]),
];
const child = spawn('ip', args, { stdio: 'inherit', env, cwd: root });
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal !== null) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
