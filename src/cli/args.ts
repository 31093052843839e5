/**
 * `forkpool run` command line → a checked `RunConfig`. Every mistake is a
 * `UsageError` that names the flag and the value; nothing here touches the
 * pool, so a bad command line fails before any worker starts.
 */
import { parseArgs } from 'node:util';
import { existsSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { UsageError } from './errors.js';
import {
  parseCount, parseDuration, parseHalt, parsePositiveInt, parseProcesses, parseSize, type HaltPolicy,
} from './units.js';

export type InputFormat = 'lines' | 'jsonl' | 'csv';

export interface RunConfig {
  /** Absolute path of the task module. */
  modulePath: string;
  /** The module as the user wrote it, for messages. */
  moduleSpec: string;
  /** Export to run; `default` when the command line named none. */
  exportName: string;
  exportNamed: boolean;
  /** `-` for stdin, a path, or undefined when items come from the command line. */
  input: string | undefined;
  /** Items given on the command line after the module. */
  args: string[];
  format: InputFormat;
  /** `-` for stdout, a path, or undefined for no output. */
  output: string | undefined;
  journal: string | undefined;
  resume: boolean;
  force: boolean;
  processes: number | undefined;
  chunksize: number | 'auto';
  maxTasksPerChild: number | undefined;
  timeout: number | undefined;
  retries: number;
  maxMemory: string | number | undefined;
  keepOrder: boolean;
  halt: HaltPolicy | undefined;
  /** true/false when forced by a flag, undefined for "on when stderr is a terminal". */
  progress: boolean | undefined;
  report: string | undefined;
  runtime: 'process' | 'thread';
  quiet: boolean;
  jsonSummary: boolean;
}

const OPTIONS = {
  input: { type: 'string' },
  format: { type: 'string' },
  output: { type: 'string', short: 'o' },
  processes: { type: 'string', short: 'j' },
  chunksize: { type: 'string' },
  'max-tasks-per-child': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  'max-memory': { type: 'string' },
  journal: { type: 'string' },
  resume: { type: 'boolean' },
  force: { type: 'boolean' },
  'keep-order': { type: 'boolean', short: 'k' },
  halt: { type: 'string' },
  progress: { type: 'boolean' },
  'no-progress': { type: 'boolean' },
  report: { type: 'string' },
  runtime: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  'json-summary': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

export type ParsedRun = { help: true } | { help: false; config: RunConfig };

export function parseRunArgs(argv: string[], cwd = process.cwd()): ParsedRun {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    // parseArgs' own messages are clear ("Unknown option '--foo'"); keep them, minus the code prefix.
    throw new UsageError(String((err as Error).message).replace(/^TypeError \[\w+\]: /, ''));
  }
  const v = parsed.values;
  if (v.help) return { help: true };
  const [target, ...args] = parsed.positionals;
  if (!target) throw new UsageError('forkpool run needs a module: forkpool run <module>[#export] [inputs...] (see forkpool run --help)');

  conflict(v.resume && v.force, '--resume and --force', 'resume the journal or start over, not both');
  conflict(v.progress && v['no-progress'], '--progress and --no-progress', 'pick one');
  conflict(v.quiet && v.progress, '--quiet and --progress', '--quiet turns progress off');
  conflict(v.input !== undefined && args.length > 0, '--input and command-line items', `got --input ${v.input} and ${args.length} items after the module`);

  const hash = target.lastIndexOf('#');
  const moduleSpec = hash > 0 ? target.slice(0, hash) : target;
  const exportName = hash > 0 ? target.slice(hash + 1) : 'default';
  if (hash > 0 && !exportName) throw new UsageError(`Missing export name after "#" in ${JSON.stringify(target)}`);
  const modulePath = resolve(cwd, moduleSpec);
  if (!existsSync(modulePath)) throw new UsageError(`Cannot find module ${JSON.stringify(moduleSpec)} (looked for ${modulePath})`);
  if (!statSync(modulePath).isFile()) throw new UsageError(`The module ${JSON.stringify(moduleSpec)} is not a file (${modulePath})`);

  const input = v.input === '-' ? '-' : v.input === undefined ? undefined : resolve(cwd, v.input);
  if (input && input !== '-') checkReadable('--input', v.input!, input);
  const output = v.output === undefined || v.output === '-' ? v.output : resolve(cwd, v.output);
  if (output && output !== '-') checkWritableDir('--output', v.output!, output);
  const report = v.report === undefined ? undefined : resolve(cwd, v.report);
  if (report) checkWritableDir('--report', v.report!, report);
  const journal = v.journal !== undefined ? resolve(cwd, v.journal) : output && output !== '-' ? `${output}.journal` : undefined;
  if (v.journal !== undefined) checkWritableDir('--journal', v.journal, journal!);
  if (v.resume && !journal) throw new UsageError('--resume needs a journal: give --journal FILE, or --output FILE (its journal is FILE.journal)');
  conflict(journal !== undefined && journal === output, '--journal and --output', 'they name the same file');

  const runtime = v.runtime ?? 'process';
  if (runtime !== 'process' && runtime !== 'thread') throw new UsageError(`--runtime expects process or thread, got ${JSON.stringify(v.runtime)}`);

  return {
    help: false,
    config: {
      modulePath,
      moduleSpec,
      exportName,
      exportNamed: hash > 0,
      input,
      args,
      format: formatOf(v.format, input),
      output,
      journal,
      resume: Boolean(v.resume),
      force: Boolean(v.force),
      processes: v.processes === undefined ? undefined : parseProcesses(v.processes),
      chunksize: v.chunksize === undefined || v.chunksize === 'auto' ? 'auto' : parsePositiveInt('--chunksize', v.chunksize),
      maxTasksPerChild: v['max-tasks-per-child'] === undefined ? undefined : parsePositiveInt('--max-tasks-per-child', v['max-tasks-per-child']),
      timeout: v.timeout === undefined ? undefined : parseDuration('--timeout', v.timeout),
      retries: v.retries === undefined ? 0 : parseCount('--retries', v.retries),
      maxMemory: v['max-memory'] === undefined ? undefined : parseSize('--max-memory', v['max-memory']),
      keepOrder: Boolean(v['keep-order']),
      halt: v.halt === undefined ? undefined : parseHalt(v.halt),
      progress: v.progress ? true : v['no-progress'] || v.quiet ? false : undefined,
      report,
      runtime,
      quiet: Boolean(v.quiet),
      jsonSummary: Boolean(v['json-summary']),
    },
  };
}

function conflict(when: boolean | undefined, flags: string, why: string): void {
  if (when) throw new UsageError(`Conflicting flags ${flags}: ${why}`);
}

function formatOf(flag: string | undefined, input: string | undefined): InputFormat {
  if (flag !== undefined) {
    if (flag === 'lines' || flag === 'jsonl' || flag === 'csv') return flag;
    throw new UsageError(`--format expects lines, jsonl or csv, got ${JSON.stringify(flag)}`);
  }
  const ext = input && input !== '-' ? extname(input).toLowerCase() : '';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  return 'lines';
}

function checkReadable(flag: string, given: string, path: string): void {
  let st;
  try {
    st = statSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new UsageError(code === 'ENOENT' ? `${flag}: no such file ${JSON.stringify(given)} (looked for ${path})` : `${flag}: cannot read ${JSON.stringify(given)}: ${code}`);
  }
  if (st.isDirectory()) throw new UsageError(`${flag}: ${JSON.stringify(given)} is a folder, not a file`);
}

function checkWritableDir(flag: string, given: string, path: string): void {
  const dir = dirname(path);
  if (!existsSync(dir)) throw new UsageError(`${flag}: the folder ${JSON.stringify(dir)} of ${JSON.stringify(given)} does not exist`);
  if (!statSync(dir).isDirectory()) throw new UsageError(`${flag}: ${JSON.stringify(dir)} is not a folder`);
}

export const RUN_HELP = `Usage: forkpool run <module>[#export] [inputs...] [options]

Runs an exported function of <module> once per input item in a process pool,
with a journal for resuming, a progress display and a final summary.

Input and output
  --input FILE|-            items: one per line, JSON Lines, or CSV rows (default: stdin,
                            or the inputs given after the module)
  --format lines|jsonl|csv  default: from the extension (.jsonl/.ndjson, .csv), else lines
  -o, --output FILE|-       results as JSON Lines: {"key","input","ok","value"|"error","ms","worker"}
  -k, --keep-order          write results in input order (default: as they finish)

Pool
  -j, --processes N|N%|+N|-N   workers (default: the number of cores)
  --runtime process|thread     default: process
  --chunksize N|auto           items per message to a worker (default: auto)
  --max-tasks-per-child N      replace a worker after N tasks
  --timeout DURATION           per item, e.g. 30s, 500ms, 2m (a bare number is seconds)
  --retries N                  re-run an item whose worker crashed, up to N times
  --max-memory SIZE            recycle a worker whose memory passes SIZE, e.g. 512MB

Journal
  --journal FILE            default: <output>.journal when --output is a file
  --resume                  continue from the journal: recorded items are not run again
  --force                   start over, discarding the journal
  --halt never|now,fail=N|soon,fail=N|now,fail=N%   stop early on failures

Display
  --progress / --no-progress   progress on stderr (default: on; a bar on a terminal,
                               a status line every few seconds otherwise)
  --report FILE.html        write a self-contained HTML report of the run
  -q, --quiet               no progress and no summary
  --json-summary            print the summary as JSON on stdout (stderr with --output -)

Exit codes: 0 all succeeded; 1-100 that many items failed; 101 more failed;
130 interrupted (Ctrl-C); 255 usage error. Details: docs/cli.md`;
