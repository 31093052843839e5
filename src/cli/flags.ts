/**
 * The command-line tokenizer of `forkpool run`: flags, their aliases (GNU
 * parallel's names), and GNU parallel's input sources (`:::`, `::::`,
 * `:::+`, `::::+`).
 *
 * Hand-written rather than `util.parseArgs` for three reasons: a flag's value
 * may start with a dash (`-j -1`), an unknown flag gets a "did you mean"
 * instead of parseArgs' boilerplate, and everything after the first `:::`
 * is input, as in GNU parallel.
 */
import { UsageError } from './errors.js';
import { redactUrl } from '../cluster/settings.js';

type Kind = 'string' | 'boolean';
/** `secret`: a URL that may hold a password, masked wherever a message repeats it. */
interface Flag { kind: Kind; short?: string; aliases?: string[]; secret?: true }

export const FLAGS = {
  input: { kind: 'string', aliases: ['arg-file'], short: 'a' },
  format: { kind: 'string' },
  'output-format': { kind: 'string' },
  output: { kind: 'string', short: 'o' },
  null: { kind: 'boolean', short: '0' },
  colsep: { kind: 'string', short: 'C' },
  header: { kind: 'boolean' },
  spread: { kind: 'boolean' },
  'dry-run': { kind: 'boolean' },
  processes: { kind: 'string', short: 'j', aliases: ['jobs'] },
  chunksize: { kind: 'string' },
  'max-tasks-per-child': { kind: 'string' },
  concurrency: { kind: 'string' },
  timeout: { kind: 'string' },
  retries: { kind: 'string' },
  'retry-on': { kind: 'string' },
  delay: { kind: 'string' },
  'max-rate': { kind: 'string' },
  'max-memory': { kind: 'string' },
  journal: { kind: 'string', aliases: ['joblog'] },
  resume: { kind: 'boolean' },
  'resume-failed': { kind: 'boolean' },
  force: { kind: 'boolean' },
  'keep-order': { kind: 'boolean', short: 'k' },
  halt: { kind: 'string', aliases: ['halt-on-error'] },
  progress: { kind: 'boolean', aliases: ['bar', 'eta'] },
  'no-progress': { kind: 'boolean' },
  report: { kind: 'string' },
  runtime: { kind: 'string' },
  redis: { kind: 'string', secret: true },
  queue: { kind: 'string' },
  'module-version': { kind: 'string' },
  quiet: { kind: 'boolean', short: 'q', aliases: ['silent'] },
  'json-summary': { kind: 'boolean' },
  help: { kind: 'boolean', short: 'h' },
} satisfies Record<string, Flag>;

export type FlagName = keyof typeof FLAGS;
export type FlagValues = { [K in FlagName]?: (typeof FLAGS)[K]['kind'] extends 'string' ? string : boolean };

/** One `:::`/`::::` source: literal items, or files read one item per line; `linked` pairs it with the previous one. */
export interface SourceSpec { kind: 'args' | 'files'; values: string[]; linked: boolean }

export interface Tokens {
  values: FlagValues; positionals: string[]; sources: SourceSpec[];
  /** Items after a `:::` that are spelled like one of our options (`-q`, `--jobs=4`): input, as in GNU parallel, but worth a note. */
  optionLikeItems: string[];
}

const SEPARATORS: Record<string, Omit<SourceSpec, 'values'>> = {
  ':::': { kind: 'args', linked: false },
  '::::': { kind: 'files', linked: false },
  ':::+': { kind: 'args', linked: true },
  '::::+': { kind: 'files', linked: true },
};

const byLong = new Map<string, FlagName>();
const byShort = new Map<string, FlagName>();
for (const [name, f] of Object.entries(FLAGS) as Array<[FlagName, Flag]>) {
  byLong.set(name, name);
  for (const a of f.aliases ?? []) byLong.set(a, name);
  if (f.short) byShort.set(f.short, name);
}

export function tokenize(argv: string[]): Tokens {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const sources: SourceSpec[] = [];
  const optionLikeItems: string[] = [];
  const set = (name: FlagName, v: string | boolean, shown: string) => {
    if (name in values && values[name] !== v) throw givenTwice(name, shown, values[name]!, v);
    values[name] = v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const sep = SEPARATORS[a];
    if (sep) {
      if (sep.linked && sources.length === 0) throw new UsageError(`${a} links to the input source before it, and there is none`);
      sources.push({ ...sep, values: [] });
      continue;
    }
    // After the first `:::`, everything is input, as in GNU parallel.
    if (sources.length) {
      sources[sources.length - 1]!.values.push(a);
      if (isOptionSpelling(a)) optionLikeItems.push(a);
      continue;
    }
    if (a === '--') { positionals.push(...argv.slice(i + 1)); break; }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const given = eq > 0 ? a.slice(2, eq) : a.slice(2);
      const name = byLong.get(given);
      if (!name) throw unknown(`--${given}`);
      if (FLAGS[name].kind === 'boolean') {
        if (eq > 0) throw new UsageError(`--${given} takes no value, got ${JSON.stringify(a.slice(eq + 1))}`);
        set(name, true, `--${given}`);
      } else {
        const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`--${given} needs a value`);
        set(name, v, `--${given}`);
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d/.test(a) || a === '-0' || isNulCluster(a)) {
      // A cluster of short flags (`-kq`); a string flag takes the rest of the cluster or the next argument (`-j4`, `-j -1`).
      for (let c = 1; c < a.length; c++) {
        const name = byShort.get(a[c]!);
        if (!name) throw unknown(`-${a[c]}`);
        if (FLAGS[name].kind === 'boolean') { set(name, true, `-${a[c]}`); continue; }
        const v = c + 1 < a.length ? a.slice(c + 1) : argv[++i];
        if (v === undefined) throw new UsageError(`-${a[c]} needs a value`);
        set(name, v, `-${a[c]}`);
        break;
      }
      continue;
    }
    positionals.push(a);
  }
  return { values: values as FlagValues, positionals, sources, optionLikeItems };
}

/**
 * The usage error for a flag given twice with two values, shared with
 * `forkpool worker` so both commands refuse it alike; the values of a secret
 * flag (`--redis`) are masked, as everywhere a message repeats them.
 */
export function givenTwice(name: string, shown: string, first: string | boolean, second: string | boolean): UsageError {
  const secret = (FLAGS as Record<string, Flag>)[name]?.secret === true;
  const echo = (x: string | boolean) => JSON.stringify(secret && typeof x === 'string' ? redactUrl(x) : x);
  return new UsageError(`${shown} was given twice (${echo(first)} and ${echo(second)})`);
}

/**
 * Whether `a` reads as one of our options: a known long flag (`--quiet`,
 * `--jobs=4`), or a cluster of known short ones (`-q`, `-kq`, `-j4`). A
 * number (`-5`, `-0`) is data, however it is spelled.
 */
function isOptionSpelling(a: string): boolean {
  if (a.startsWith('--')) {
    const eq = a.indexOf('=');
    return byLong.has(eq > 0 ? a.slice(2, eq) : a.slice(2));
  }
  return /^-[^\d-]/.test(a) && byShort.has(a[1]!);
}

/** `-0q`, `-0kj4`: `-0` (`--null`) clustered with other short flags, not a number (`-0.5`, `-0e3` stay items). */
function isNulCluster(a: string): boolean {
  return /^-0[a-zA-Z]/.test(a) && byShort.has(a[2]!) && Number.isNaN(Number(a));
}

function unknown(flag: string): UsageError {
  const guess = closest(flag.replace(/^-+/, ''));
  const hint = guess ? `; did you mean --${guess}?` : ' (see forkpool run --help)';
  return new UsageError(`unknown option ${flag}${hint}`);
}

/** The known long flag nearest to what was typed, if it is near enough to be a typo. */
export function closest(typed: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of byLong.keys()) {
    const d = editDistance(typed.toLowerCase(), name);
    if (d < bestDistance) { best = name; bestDistance = d; }
  }
  // A third of the word may be wrong: "proceses" → "processes", never "xyz" → "xyz-anything".
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(typed.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}
