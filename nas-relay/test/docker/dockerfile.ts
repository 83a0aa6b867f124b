import { readdirSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';

// Small readers for the Dockerfile and .dockerignore, enough for the checks in docker.test.ts
// (dockerfile-utils checks the syntax; these look at what the instructions say).

export interface Instruction {
  /** Upper case: FROM, RUN, COPY, ... */
  keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  args: string;
  /** 1-based line of the keyword. */
  line: number;
}

export interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}

/** The instructions of a Dockerfile: comment lines dropped, `\` continuations joined. */
export function parseInstructions(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending: { parts: string[]; line: number } | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    // A comment line, also in the middle of a continued instruction (Docker drops it there too).
    if (trimmed.startsWith('#')) return;
    if (trimmed === '' && pending === null) return;
    const continued = trimmed.endsWith('\\');
    const part = continued ? trimmed.slice(0, -1).trim() : trimmed;
    if (pending === null) pending = { parts: [], line: index + 1 };
    if (part !== '') pending.parts.push(part);
    if (continued) return;
    const joined = pending.parts.join(' ');
    const m = /^(\S+)\s*(.*)$/.exec(joined);
    if (m !== null) out.push({ keyword: (m[1] as string).toUpperCase(), args: (m[2] as string).trim(), line: pending.line });
    pending = null;
  });
  if (pending !== null) throw new Error('the Dockerfile ends inside a continued instruction');
  return out;
}

/** The build stages, in order, each with the instructions after its FROM. */
export function parseStages(text: string): Stage[] {
  const stages: Stage[] = [];
  for (const instruction of parseInstructions(text)) {
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(/\s+/).filter((w) => !w.startsWith('--'));
      const as = words.findIndex((w) => w.toLowerCase() === 'as');
      stages.push({ image: words[0] ?? '', name: as >= 0 ? words[as + 1] : undefined, instructions: [] });
      continue;
    }
    const current = stages.at(-1);
    if (current === undefined) {
      if (instruction.keyword === 'ARG') continue;
      throw new Error(`line ${instruction.line}: ${instruction.keyword} before the first FROM`);
    }
    current.instructions.push(instruction);
  }
  return stages;
}

/** Leading --flags of an instruction (--from=build, --chown=node:node, --interval=30s). */
export function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args;
  for (;;) {
    const m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest);
    if (m === null) break;
    flags.set(m[1] as string, m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

/** A JSON-array (exec form) argument list, or undefined for the shell form. */
export function execForm(rest: string): string[] | undefined {
  if (!rest.startsWith('[')) return undefined;
  const parsed: unknown = JSON.parse(rest);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error(`not a JSON array of strings: ${rest}`);
  return parsed;
}

export interface CopyInstruction {
  line: number;
  /** --from=...: copied from a stage or an image, not from the build context. */
  from: string | undefined;
  sources: string[];
  dest: string;
}

export function parseCopy(instruction: Instruction): CopyInstruction {
  const { flags, rest } = splitFlags(instruction.args);
  const words = execForm(rest) ?? rest.split(/\s+/);
  if (words.length < 2) throw new Error(`line ${instruction.line}: COPY needs a source and a destination`);
  return { line: instruction.line, from: flags.get('from'), sources: words.slice(0, -1), dest: words.at(-1) as string };
}

/** Whether a COPY source is a pattern (Docker's filepath.Match wildcards). */
export function hasWildcard(source: string): boolean {
  return /[*?[]/.test(source);
}

// ---------------------------------------------------------------------------------------------
// .dockerignore

interface IgnoreRule {
  negate: boolean;
  regex: RegExp;
  pattern: string;
}

/** Docker's pattern syntax as a regular expression: `**` any number of folders, `*` and `?` within one. */
function patternRegex(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '*' && pattern[i + 1] === '*') {
      i++;
      if (pattern[i + 1] === '/') {
        i++;
        re += '(?:.*/)?';
      } else {
        re += '.*';
      }
    } else if (c === '*') {
      re += '[^/]*';
    } else if (c === '?') {
      re += '[^/]';
    } else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) throw new Error(`.dockerignore: unclosed [ in ${pattern}`);
      re += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < pattern.length) {
      i++;
      re += (pattern[i] as string).replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else {
      re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}

/**
 * The rules of a .dockerignore, read as Docker does: one pattern a line, # comments, `!`
 * re-includes, paths cleaned and relative to the context; a path is left out when the last rule
 * matching it or one of its parent folders is not a `!` rule.
 */
export function parseDockerignore(text: string): (path: string) => boolean {
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const negate = line.startsWith('!');
    if (negate) line = line.slice(1).trim();
    line = posix.normalize(line).replace(/^\/+/, '').replace(/\/+$/, '');
    if (line === '' || line === '.') continue;
    rules.push({ negate, regex: patternRegex(line), pattern: line });
  }
  return (path: string): boolean => {
    const clean = posix.normalize(path).replace(/^\/+/, '').replace(/\/+$/, '');
    const segments = clean.split('/');
    const candidates = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const rule of rules) {
      if (candidates.some((c) => rule.regex.test(c))) excluded = !rule.negate;
    }
    return excluded;
  };
}

/** Every file under a path of the repository (the path itself when it is a file), relative to root. */
export function filesUnder(root: string, path: string): string[] {
  const full = join(root, path);
  if (!statSync(full).isDirectory()) return [path];
  return readdirSync(full, { withFileTypes: true }).flatMap((entry) => filesUnder(root, posix.join(path, entry.name)));
}
