/**
 * `forkpool run` command line → a checked `RunConfig`. Every mistake is a
 * `UsageError` that names the flag and the value; nothing here touches the
 * pool, so a bad command line fails before any worker starts.
 */
import { existsSync, statSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { UsageError } from './errors.js';
import { tokenize, type SourceSpec } from './flags.js';
import { checkReadable, checkWritable, isRegularOrNew } from './paths.js';
import {
  parseCount, parseDuration, parseHalt, parsePositiveInt, parseProcesses, parseRate, parseRetryOn, parseSize,
  type HaltPolicy, type RetryOn,
} from './units.js';

export type InputFormat = 'lines' | 'jsonl' | 'csv' | 'tsv';
export type OutputFormat = 'raw' | 'json';

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
  /** GNU parallel style sources (`::: a b`, `:::: file`), combined as a cross product or linked. */
  sources: SourceSpec[];
  format: InputFormat;
  /** Items are separated by NUL bytes instead of line breaks (`-0`). */
  nul: boolean;
  /** Split each line into fields on this separator (`--colsep`). */
  colsep: string | undefined;
  /** The first line names the fields: items become objects (`--header`; always on for csv and tsv). */
  header: boolean;
  /** Spread each item that is an array (a row, several sources) into the function's parameters (`--spread`, a starmap). */
  spread: boolean;
  /** `-` for stdout, a path, or undefined: then each value is printed on stdout. */
  output: string | undefined;
  /** How values are printed on stdout without --output: strings as they are (`raw`) or everything as JSON. */
  outputFormat: OutputFormat;
  journal: string | undefined;
  resume: boolean;
  /** On resume, run again the items the journal holds as failed (GNU parallel's --resume-failed). */
  resumeFailed: boolean;
  force: boolean;
  dryRun: boolean;
  processes: number | undefined;
  chunksize: number | 'auto';
  maxTasksPerChild: number | undefined;
  /** Items each worker runs at once (the pool's concurrentTasksPerWorker), for async I/O tasks. */
  concurrency: number | undefined;
  timeout: number | undefined;
  retries: number;
  retryOn: RetryOn[];
  /** Least time between the starts of two items, ms. */
  delay: number | undefined;
  maxMemory: string | number | undefined;
  keepOrder: boolean;
  halt: HaltPolicy | undefined;
  /** true/false when forced by a flag, undefined for "on when stderr is a terminal". */
  progress: boolean | undefined;
  report: string | undefined;
  runtime: 'process' | 'thread';
  /** `--redis URL --queue NAME`: the items run on `forkpool worker` nodes (docs/distributed.md). */
  backend: { redis: string; queue: string; moduleVersion?: string } | undefined;
  quiet: boolean;
  jsonSummary: boolean;
  /** Said on stderr before the run: what was read in a way the user may not have meant. */
  notes: string[];
}

export type ParsedRun = { help: true } | { help: false; config: RunConfig };

export function parseRunArgs(argv: string[], cwd = process.cwd()): ParsedRun {
  const { values: v, positionals, sources, optionLikeItems } = tokenize(argv);
  if (v.help) return { help: true };
  const [target, ...args] = positionals;
  if (!target) throw new UsageError('forkpool run needs a module: forkpool run <module>[#export] [inputs...] (see forkpool run --help)');

  conflict(v.resume && v.force, '--resume and --force', 'resume the journal or start over, not both');
  conflict(v['resume-failed'] && v.force, '--resume-failed and --force', 'resume the journal or start over, not both');
  conflict(v.progress && v['no-progress'], '--progress and --no-progress', 'pick one');
  conflict(v.quiet && v.progress, '--quiet and --progress', '--quiet turns progress off');
  conflict(v.input !== undefined && args.length > 0, '--input and command-line items', `got --input ${v.input} and ${args.length} items after the module`);
  conflict(sources.length > 0 && (v.input !== undefined || args.length > 0), '::: and --input or items after the module', 'give the items one way');
  conflict(v.delay !== undefined && v['max-rate'] !== undefined, '--delay and --max-rate', 'both set the pace of starts; pick one');
  for (const s of sources) if (s.values.length === 0) throw new UsageError(`An input source (${s.kind === 'args' ? ':::' : '::::'}) is empty`);

  const hash = target.lastIndexOf('#');
  const moduleSpec = hash > 0 ? target.slice(0, hash) : target;
  const exportName = hash > 0 ? target.slice(hash + 1) : 'default';
  if (hash > 0 && !exportName) throw new UsageError(`Missing export name after "#" in ${JSON.stringify(target)}`);
  const modulePath = resolve(cwd, moduleSpec);
  if (!existsSync(modulePath)) throw new UsageError(`Cannot find module ${JSON.stringify(moduleSpec)} (looked for ${modulePath})`);
  if (!statSync(modulePath).isFile()) throw new UsageError(`The module ${JSON.stringify(moduleSpec)} is not a file (${modulePath})`);

  const input = v.input === '-' ? '-' : v.input === undefined ? undefined : resolve(cwd, v.input);
  if (input && input !== '-') checkReadable('--input', v.input!, input);
  for (const s of sources) {
    if (s.kind === 'files') s.values = s.values.map((f) => (f === '-' ? f : (checkReadable('::::', f, resolve(cwd, f)), resolve(cwd, f))));
  }
  const output = v.output === undefined || v.output === '-' ? v.output : resolve(cwd, v.output);
  if (output && output !== '-') checkWritable('--output', v.output!, output);
  const report = v.report === undefined ? undefined : resolve(cwd, v.report);
  if (report) checkWritable('--report', v.report!, report);
  // A journal goes beside a regular output file only: never `/dev/null.journal` beside a device or a pipe.
  const journal = v.journal !== undefined ? resolve(cwd, v.journal)
    : output && output !== '-' && isRegularOrNew(output) ? `${output}.journal` : undefined;
  if (v.journal !== undefined) checkWritable('--journal', v.journal, journal!);
  const resume = Boolean(v.resume || v['resume-failed']);
  if (resume && !journal) throw new UsageError(`${v['resume-failed'] ? '--resume-failed' : '--resume'} needs a journal: give --journal FILE, or --output FILE (its journal is FILE.journal)`);
  // Through a link too: an -o that is a symlink to the journal had the output written over the journal.
  conflict(journal !== undefined && output !== undefined && output !== '-' && sameFile(journal, output), '--journal and --output', 'they name the same file');
  conflict(report !== undefined && ((output !== undefined && output !== '-' && sameFile(report, output)) || (journal !== undefined && sameFile(report, journal))), '--report and --output or --journal', 'they name the same file');
  // Writing over what is being read destroys the input, and a growing input never ends.
  const inputs = [...(input && input !== '-' ? [input] : []), ...sources.flatMap((s) => (s.kind === 'files' ? s.values.filter((f) => f !== '-') : []))];
  for (const [flag, target] of [['--output', output], ['--report', report], ['--journal', journal]] as const) {
    const read = target && target !== '-' ? inputs.find((f) => sameFile(f, target)) : undefined;
    conflict(read !== undefined, `${flag} and the input`, `${flag} ${target} is the file the items are read from (${read})`);
  }

  const runtime = v.runtime ?? 'process';
  if (runtime !== 'process' && runtime !== 'thread') throw new UsageError(`--runtime expects process or thread, got ${JSON.stringify(v.runtime)}`);
  const outputFormat = v['output-format'] ?? 'raw';
  if (outputFormat !== 'raw' && outputFormat !== 'json') throw new UsageError(`--output-format expects raw or json, got ${JSON.stringify(outputFormat)}`);
  if (v['output-format'] !== undefined && output !== undefined) {
    throw new UsageError('--output-format sets how values are printed on stdout without --output; --output always writes JSON Lines records');
  }
  const format = formatOf(v.format, input);
  if (v.colsep !== undefined && v.colsep === '') throw new UsageError('--colsep needs a separator, got ""');
  conflict(v.colsep !== undefined && format !== 'lines', `--colsep and --format ${format}`, '--colsep splits plain lines');
  const retryOn = v['retry-on'] === undefined ? ['crash' as const] : parseRetryOn(v['retry-on']);
  const retries = v.retries === undefined ? 0 : parseCount('--retries', v.retries);
  if (v['retry-on'] !== undefined && retries === 0) throw new UsageError('--retry-on needs --retries N (how many times to retry)');
  const maxRate = v['max-rate'] === undefined ? undefined : parseRate(v['max-rate']);
  const backend = backendOf(v.redis, v.queue, v['module-version'], { '-j': v.processes, '--runtime': v.runtime, '--max-memory': v['max-memory'], '--max-tasks-per-child': v['max-tasks-per-child'], '--concurrency': v.concurrency });

  return {
    help: false,
    config: {
      modulePath,
      moduleSpec,
      exportName,
      exportNamed: hash > 0,
      input,
      args,
      sources,
      format,
      nul: Boolean(v.null),
      colsep: v.colsep === '\\t' ? '\t' : v.colsep,
      header: Boolean(v.header) || format === 'csv' || format === 'tsv',
      spread: Boolean(v.spread),
      output,
      outputFormat,
      journal,
      resume,
      resumeFailed: Boolean(v['resume-failed']),
      force: Boolean(v.force),
      dryRun: Boolean(v['dry-run']),
      processes: v.processes === undefined ? undefined : parseProcesses(v.processes),
      chunksize: v.chunksize === undefined || v.chunksize === 'auto' ? 'auto' : parsePositiveInt('--chunksize', v.chunksize),
      maxTasksPerChild: v['max-tasks-per-child'] === undefined ? undefined : parsePositiveInt('--max-tasks-per-child', v['max-tasks-per-child']),
      concurrency: v.concurrency === undefined ? undefined : parsePositiveInt('--concurrency', v.concurrency),
      timeout: v.timeout === undefined ? undefined : parseDuration('--timeout', v.timeout),
      retries,
      retryOn,
      delay: v.delay !== undefined ? parseDuration('--delay', v.delay) : maxRate !== undefined ? 1000 / maxRate : undefined,
      maxMemory: v['max-memory'] === undefined ? undefined : parseSize('--max-memory', v['max-memory']),
      keepOrder: Boolean(v['keep-order']),
      halt: v.halt === undefined ? undefined : parseHalt(v.halt),
      progress: v.progress ? true : v['no-progress'] || v.quiet ? false : undefined,
      report,
      runtime,
      backend,
      quiet: Boolean(v.quiet),
      jsonSummary: Boolean(v['json-summary']),
      notes: optionLikeItems.length === 0 ? [] : [
        `${optionLikeItems.map((a) => JSON.stringify(a)).join(', ')} ${optionLikeItems.length === 1 ? 'comes' : 'come'} after ::: and ` +
        `${optionLikeItems.length === 1 ? 'is an input item' : 'are input items'}, as in GNU parallel; options go before the first :::`,
      ],
    },
  };
}

/** `--redis` and `--queue` go together; the local pool's flags belong to `forkpool worker` then. */
function backendOf(redis: string | undefined, queue: string | undefined, moduleVersion: string | undefined, local: Record<string, string | undefined>): RunConfig['backend'] {
  if (redis === undefined && queue === undefined) {
    if (moduleVersion !== undefined) throw new UsageError('--module-version needs --redis and --queue');
    return undefined;
  }
  if (redis === undefined || queue === undefined) throw new UsageError(`${redis === undefined ? '--queue needs --redis URL' : '--redis needs --queue NAME'} (the queue the forkpool worker nodes serve)`);
  let url: URL | undefined;
  try { url = new URL(redis); } catch { /* below */ }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:')) throw new UsageError('--redis expects a redis:// or rediss:// URL');
  if (queue === '' || queue.includes(':')) throw new UsageError(`--queue expects a name without ':', got ${JSON.stringify(queue)}`);
  for (const [flag, value] of Object.entries(local)) {
    if (value !== undefined) throw new UsageError(`${flag} sets the local pool; with --redis, give it to forkpool worker on each node`);
  }
  return { redis, queue, ...(moduleVersion === undefined ? {} : { moduleVersion }) };
}

function conflict(when: boolean | undefined, flags: string, why: string): void {
  if (when) throw new UsageError(`Conflicting flags ${flags}: ${why}`);
}

function formatOf(flag: string | undefined, input: string | undefined): InputFormat {
  if (flag !== undefined) {
    if (flag === 'lines' || flag === 'jsonl' || flag === 'csv' || flag === 'tsv') return flag;
    const hint = flag === 'raw' || flag === 'json' ? ` (--format is the input's format; for printed values use --output-format ${flag})` : '';
    throw new UsageError(`--format expects lines, jsonl, csv or tsv, got ${JSON.stringify(flag)}${hint}`);
  }
  const ext = input && input !== '-' ? extname(input).toLowerCase() : '';
  if (ext === '.jsonl' || ext === '.ndjson') return 'jsonl';
  if (ext === '.csv') return 'csv';
  if (ext === '.tsv' || ext === '.tab') return 'tsv';
  return 'lines';
}

/** The same file: one path, or two names of one inode (a link). */
function sameFile(a: string, b: string): boolean {
  if (a === b) return true;
  try {
    const x = statSync(a);
    const y = statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
