/**
 * `forkpool run`: input → journaled pool run → output, progress, summary,
 * report. One loop whose body reads as verbs:
 *
 *   open input ─► open pool ─► for each settled item (journal first, then pool):
 *                                 count it, write it, maybe halt
 *              ─► close pool ─► summary, report, exit code
 *
 * Stopping early (Ctrl-C, --halt, a closed stdout) is stop.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { count } from './units.js';
import { journaled, NO_JOURNAL, type JournaledItem } from '../journal/journaled.js';
import { sniff } from '../journal/journal-index.js';
import type { RunConfig } from './args.js';
import { EXIT, exitCodeFor, toUsageError, UsageError } from './errors.js';
import { BadLine, badLineError, openInput, type InputSource } from './input.js';
import { OutputWriter } from './output.js';
import { paced, peek, plan, workersOf } from './plan.js';
import { createPool, journalPort, type RunnerPool } from './pool-port.js';
import { createProgress, type Progress } from './progress.js';
import { writeReport } from './report.js';
import { outcomeOf, preview, RunStats } from './run-stats.js';
import { StopControl } from './stop.js';
import { buildSummary, formatSummary } from './summary.js';
import { toJsonText } from './encode.js';
import { resumeHint as hintFor, unstartedForceHint } from './resume-hint.js';

export { READ_AHEAD_CHUNKS_PER_WORKER } from './plan.js';
export { STOP_GRACE_MS } from './stop.js';

/** Memory is sampled this often for the report's RSS chart (the pool measures it on its own clock). */
const RSS_SAMPLE_MS = 250;

/** Codes that mean the task cannot run at all: the run stops with a usage error instead of failing every item. */
const FATAL_CODES = new Set([
  'ERR_FORKPOOL_UNKNOWN_TASK', 'ERR_FORKPOOL_POOL_BROKEN', 'ERR_FORKPOOL_WORKER_START',
  'ERR_FORKPOOL_REDIS_DATA_LOST', 'ERR_FORKPOOL_REDIS_CONNECTION', 'ERR_FORKPOOL_MISSING_DEPENDENCY',
]);

export async function runCommand(config: RunConfig): Promise<number> {
  await checkJournalChoice(config);
  let source = await openInput(config);
  let sizing = source.total;
  if (source.total === undefined && !config.dryRun) {
    // stdin: read its start to size chunks like a file's (chunks of 1 make small tasks 3.5× slower).
    const p = await peek(source.items, config);
    source = { ...source, items: p.items, total: p.total };
    sizing = p.sizing;
  }
  if (config.dryRun) return dryRun(config, source);

  // No more workers than items when their number is known: `-j 64 a b` starts two, not 64.
  const lanes = config.backend === undefined && source.total !== undefined && source.total > 0 ? Math.min(workersOf(config), source.total) : workersOf(config);
  const stats = new RunStats();
  stats.total = source.total;
  stats.maxLanes = lanes;
  let pool: RunnerPool | undefined;
  const mode = config.progress === false ? 'off' : process.stderr.isTTY ? 'bar' : config.progress || !config.quiet ? 'lines' : 'off';
  const progress: Progress = createProgress(mode, {
    stats,
    workers: () => pool?.stats().workers ?? [],
    running: () => pool?.stats().running ?? 0,
  });
  pool = createPool(config.modulePath, {
    processes: config.backend === undefined ? lanes : config.processes,
    runtime: config.runtime,
    maxTasksPerChild: config.maxTasksPerChild,
    concurrency: config.concurrency,
    taskTimeout: config.timeout,
    retries: config.retries,
    retryOn: config.retryOn,
    maxMemory: config.maxMemory,
    backend: config.backend,
    logs: (line) => progress.log(`[worker ${line.workerId}] ${line.text}`),
  });
  const thePool = pool;
  thePool.on('workerExit', (e) => stats.workerExited(e.workerId, e.reason));
  stats.sampleRss(thePool.stats().workers);

  const stop = new StopControl(thePool, progress);
  let flushJournal: () => void = () => {};
  const onSigint = () => stop.interrupt(() => flushJournal(), stats, config.journal ? resumeHint(config) : undefined);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  // A closed terminal (SIGHUP) stops the run the same way: journal flushed, output kept, lock released.
  process.on('SIGHUP', onSigint);
  const sampler = setInterval(() => stats.sampleRss(thePool.stats().workers), RSS_SAMPLE_MS);
  sampler.unref();

  const output = new OutputWriter({
    target: config.output,
    format: config.outputFormat,
    // Results on a terminal share it with the bar: each line goes above the bar, never onto it.
    aboveBar: process.stdout.isTTY ? (write) => progress.aboveBar(write) : undefined,
    onBrokenPipe: () => stop.outputClosed(),
  });
  const { chunksize, readAhead } = plan(config, sizing);
  const fed = stop.feed(config.delay === undefined ? source.items : paced(source.items, config.delay, stop.stopped));
  const runs = journaled(journalPort(thePool, config.retries, config.retryOn, config.spread), config.exportName, fed, {
    journal: config.journal ?? NO_JOURNAL,
    journalMode: config.force ? 'overwrite' : 'resume',
    resumeFailed: config.resumeFailed,
    ordered: config.keepOrder,
    chunksize,
    readAhead,
    inputIdentity: source.identity,
    inputGrew: source.grewFrom,
    invalid: (item) => badLineError(item, source.label),
    onOpen: (info) => { flushJournal = info.flushSync; },
  });

  progress.start();
  let fatal: unknown;
  try {
    // Paced starts are counted from workers that are up: a first item waiting for a worker to boot would start late, bunched with the second.
    if (config.delay !== undefined) await thePool.ready();
    for await (const s of runs) {
      if (!s.ok && FATAL_CODES.has(String((s.error as { code?: unknown }).code))) {
        fatal = s.error;
        break;
      }
      stats.add(s, inputText(s));
      // An item a stop aborted (--halt now, a second Ctrl-C) has no outcome of
      // its own (many never started): like the journal, the output leaves it
      // out, so out.jsonl agrees with the summary and the exit code, and a
      // --resume runs it.
      if (!s.ok && outcomeOf(s) === 'aborted' && stop.stopping) continue;
      await output.write(s);
      stop.checkHalt(config, stats);
    }
  } catch (err) {
    // After a terminate the pool may end the stream with an error; the stop already explains it.
    if (!stop.terminated || !isPoolStop(err)) fatal = err;
  } finally {
    clearInterval(sampler);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    process.off('SIGHUP', onSigint);
    stop.done();
    stats.sampleRss(thePool.stats().workers);
    stats.finishedAt = Date.now();
    progress.stop();
    if (fatal || stop.terminated) await thePool.terminate();
    else { thePool.close(); await thePool.join(); }
    // A stop left stdin unread (its producer may never write again): close it, so this process can exit.
    if (stop.stopping && source.label === 'stdin') process.stdin.destroy();
    if (stop.stopping) source.close?.();
    if (fatal) await output.abandon();
    else await output.close().catch((err: unknown) => { fatal = err; });
  }
  if (fatal && codeOf(fatal) === 'ERR_FORKPOOL_REDIS_DATA_LOST') {
    // Results may be lost in Redis, never in the journal: what it holds is valid, and a resume runs the rest.
    process.stderr.write(`forkpool: ${(fatal as Error).message}\n${config.journal ? resumeHint(config) : 'Run it again (with --journal FILE, a run can be resumed).'}\n`);
    return EXIT.backendLost;
  }
  if (fatal && (codeOf(fatal) === 'ERR_FORKPOOL_REDIS_CONNECTION' || codeOf(fatal) === 'ERR_FORKPOOL_MISSING_DEPENDENCY')) {
    throw new UsageError(`${(fatal as Error).message}${config.journal && existsSync(config.journal) ? `\n${startedNothing(config, stats) ? unstartedForceHint(config.journal) : resumeHint(config)}` : ''}`);
  }
  if (fatal) throw toUsageError(fatal, config);
  if (stop.brokenPipe) return EXIT.brokenPipe;

  const exitCode = stop.interrupted ? EXIT.interrupted : exitCodeFor(stats.failed - stats.counts.aborted);
  let summary = buildSummary(stats, {
    chunksize, exitCode, interrupted: stop.interrupted, halted: stop.haltReason,
    output: config.output, journal: config.journal, report: config.report,
  });
  // A report that cannot be written fails the command, after the summary: the run itself is over and its results out.
  const reportFailed = config.report ? await writeReport(config.report, stats, summary, `${config.moduleSpec}#${config.exportName}`).then(() => undefined, (err: unknown) => err) : undefined;
  if (reportFailed) summary = { ...summary, report: undefined, exitCode: EXIT.usage };
  if (!config.quiet) process.stderr.write(`\n${formatSummary(summary)}\n`);
  if (stop.interrupted && config.journal) process.stderr.write(`${resumeHint(config)}\n`);
  // Stdout carries the results unless they went to a file: then, and only then, it gets the JSON summary.
  if (config.jsonSummary) (output.usesStdout ? process.stderr : process.stdout).write(`${JSON.stringify(summary)}\n`);
  if (reportFailed) throw toUsageError(reportFailed, config);
  return exitCode;
}

/** `--dry-run`: what would run, one call per line on stdout, and nothing run. */
async function dryRun(config: RunConfig, source: InputSource): Promise<number> {
  const fn = `${config.moduleSpec}#${config.exportName}`;
  let n = 0;
  for await (const item of source.items) {
    n++;
    const args = config.spread && Array.isArray(item) ? item.map((a) => toJsonText(a)).join(', ') : toJsonText(item);
    const line = item instanceof BadLine ? `# ${source.label} line ${item.line}: ${item.why}` : `${fn}(${args})`;
    if (!process.stdout.write(`${line}\n`)) await new Promise((resolve) => process.stdout.once('drain', resolve));
  }
  if (!config.quiet) process.stderr.write(`Dry run: ${count(n)} ${n === 1 ? 'call' : 'calls'} of ${fn} would run (nothing was run)\n`);
  return EXIT.ok;
}

function codeOf(err: unknown): string {
  return String((err as { code?: unknown } | null)?.code);
}

function isPoolStop(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ERR_FORKPOOL_TERMINATED' || code === 'ERR_FORKPOOL_POOL_CLOSED' || code === 'ERR_FORKPOOL_ABORTED';
}

function inputText(s: JournaledItem): string {
  return s.item instanceof BadLine ? preview(s.item.text) : preview(s.item);
}

/**
 * A `--force` run that recorded nothing left the earlier journal where it was
 * (a fresh journal replaces it only at its first record): `--resume` would
 * continue that earlier run, not this one.
 */
function startedNothing(config: RunConfig, stats: RunStats): boolean {
  return config.force && Object.values(stats.counts).every((n) => n === 0);
}

/** The same command line again, with --resume (the --redis password masked). */
function resumeHint(config: RunConfig): string {
  return hintFor(config.journal!, process.argv.slice(2), config.backend?.redis);
}

async function checkJournalChoice(config: RunConfig): Promise<void> {
  if (!config.journal || config.resume || config.force || config.dryRun) return;
  // Only a regular file is an earlier run's journal; anything else there is refused by the journal itself, with what it is.
  const st = existsSync(config.journal) ? statSync(config.journal) : undefined;
  // A file that is not a journal at all: say that (NotAJournalError), not "pass --resume or --force", which both refuse it.
  if (st?.isFile() && st.size > 0 && await sniff(config.journal).catch((err: unknown) => { throw toUsageError(err, config); }) === 'journal') {
    throw new UsageError(
      `The journal ${config.journal} exists from an earlier run. Pass --resume to continue it (finished items are not run again), or --force to start over.`,
    );
  }
}
