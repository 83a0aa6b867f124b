import { runCli } from './cli.js';
import { MeshError } from './mesh.js';

// `npm run mesh -- <command>`: prints the command's output, or one line per problem and exits 2.
// Keys and configs are written with mode 0600 whatever the umask.
try {
  process.stdout.write(`${runCli(process.argv.slice(2))}\n`);
} catch (err) {
  if (err instanceof MeshError) {
    for (const p of err.problems) process.stderr.write(`mesh: ${p}\n`);
    process.exit(2);
  }
  if (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`mesh: ${err.message}\n`);
    process.exit(2);
  }
  throw err;
}
