/**
 * `forkpool run`: input → journaled pool run → output, progress, summary,
 * report. One loop whose body reads as verbs:
 *
 *   open input ─► open pool ─► for each settled item (journal first, then pool):
 *                                 count it, write it, maybe halt
 *              ─► close pool ─► summary, report, exit code
 *
 * Stopping early has three doors, all of which leave a valid journal:
 * - Ctrl-C (or SIGTERM): stop taking new items, let running ones finish
 *   for `STOP_GRACE_MS`, then terminate the pool; print how to resume.
 * - A second Ctrl-C: flush the journal synchronously and exit at once.
 * - `--halt`: `soon` stops taking items, `now` also terminates the pool.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { journaled, NO_JOURNAL, type JournaledItem } from '../journal/journaled.js';
import type { RunConfig } from './args.js';
import { EXIT, exitCodeFor, UsageError } from './errors.js';
import { BadLine, badLineError, openInput } from './input.js';
import { OutputWriter } from './output.js';
import { createPool, type RunnerPool } from './pool-port.js';
import { createProgress, type Progress } from './progress.js';
import { writeReport } from './report.js';
import { preview, RunStats } from './run-stats.js';
import { buildSummary, formatSummary } from './summary.js';

/** After the first Ctrl-C, running items get this long to finish before the pool is terminated. */
export const STOP_GRACE_MS = 10_000;
/** Memory is sampled this often for the report's RSS chart (the pool measures it on its own clock). */
const RSS_SAMPLE_MS = 250;
/** A second Ctrl-C waits at most this long for the workers to be killed before exiting anyway. */
const HARD_STOP_WAIT_MS = 2_000;
/**
 * Chunks the pool may hold per worker. Results that workers finished but the
 * runner has not journaled yet are re-run after a crash of the runner, so
 * this is kept small: one chunk running and one waiting per worker keeps
 * every worker fed (the input is read in this process, so it is never late),
 * and after Ctrl-C at most one more chunk per worker starts.
 */
export const READ_AHEAD_CHUNKS_PER_WORKER = 2;
/** Largest chunk `--chunksize auto` picks. */
const AUTO_CHUNK_MAX = 32;

/** Codes that mean the task cannot run at all: the run stops with a usage error instead of failing every item. */
const FATAL_CODES = new Set(['ERR_FORKPOOL_UNKNOWN_TASK', 'ERR_FORKPOOL_POOL_BROKEN', 'ERR_FORKPOOL_WORKER_START']);

export async function runCommand(config: RunConfig): Promise<number> {
  checkJournalChoice(config);
  const source = await openInput(config.input, config.args, config.format);
  const stats = new RunStats();
  stats.total = source.total;
  let pool: RunnerPool | undefined;
  const mode = config.progress === false ? 'off' : process.stderr.isTTY ? 'bar' : config.progress || !config.quiet ? 'lines' : 'off';
  const progress: Progress = createProgress(mode, {
    stats,
    workers: () => pool?.stats().workers ?? [],
    running: () => pool?.stats().running ?? 0,
  });
  pool = await createPool(config.modulePath, {
    processes: config.processes,
    runtime: config.runtime,
    maxTasksPerChild: config.maxTasksPerChild,
    taskTimeout: config.timeout,
    retries: config.retries || undefined,
    maxMemory: config.maxMemory,
    logs: (line) => progress.log(`[worker ${line.workerId}] ${line.text}`),
  });
  const thePool = pool;
  thePool.on('workerExit', (e) => stats.workerExited(e.workerId, e.reason));
  stats.sampleRss(thePool.stats().workers);

  const stop = new StopControl(thePool, progress);
  let flushJournal: () => void = () => {};
  const onSigint = () => stop.interrupt(() => flushJournal(), stats, config);
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  const sampler = setInterval(() => stats.sampleRss(thePool.stats().workers), RSS_SAMPLE_MS);
  sampler.unref();

  const output = new OutputWriter(config.output);
  const chunksize = config.chunksize === 'auto' ? autoChunksize(config, source.total) : config.chunksize;
  const runs = journaled(thePool, config.exportName, stop.feed(source.items), {
    journal: config.journal ?? NO_JOURNAL,
    journalMode: config.force ? 'overwrite' : 'resume',
    ordered: config.keepOrder,
    chunksize,
    readAhead: READ_AHEAD_CHUNKS_PER_WORKER * (config.processes ?? availableParallelism()) * chunksize,
    inputIdentity: source.identity,
    invalid: (item) => badLineError(item, source.label),
    onOpen: (info) => { flushJournal = info.flushSync; },
  });

  progress.start();
  let fatal: unknown;
  try {
    for await (const s of runs) {
      if (!s.ok && FATAL_CODES.has(String((s.error as { code?: unknown }).code))) {
        fatal = s.error;
        break;
      }
      stats.add(s, inputText(s));
      await output.write(s);
      stop.checkHalt(config, stats);
    }
  } catch (err) {
    // After a terminate the pool may end the stream with an error; the stop already explains it.
    if (!stop.terminated) fatal = err;
  } finally {
    clearInterval(sampler);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
    stop.done();
    stats.sampleRss(thePool.stats().workers);
    stats.finishedAt = Date.now();
    progress.stop();
    if (fatal || stop.terminated) await thePool.terminate();
    else { thePool.close(); await thePool.join(); }
    await (fatal ? output.abandon() : output.close());
  }
  if (fatal) throw toUsageError(fatal, config);

  const exitCode = stop.interrupted ? EXIT.interrupted : exitCodeFor(stats.failed - stats.counts.aborted);
  const summary = buildSummary(stats, {
    exitCode, interrupted: stop.interrupted, halted: stop.haltReason,
    output: config.output, journal: config.journal, report: config.report,
  });
  if (config.report) await writeReport(config.report, stats, summary, `${config.moduleSpec}#${config.exportName}`);
  if (!config.quiet) process.stderr.write(`\n${formatSummary(summary)}\n`);
  if (stop.interrupted && config.journal) process.stderr.write(`${resumeHint(config)}\n`);
  if (config.jsonSummary) (config.output === '-' ? process.stderr : process.stdout).write(`${JSON.stringify(summary)}\n`);
  return exitCode;
}

/** Ctrl-C, --halt and the feed of items they cut off. */
class StopControl {
  stopping = false;
  interrupted = false;
  terminated = false;
  haltReason: string | undefined;
  #graceTimer: NodeJS.Timeout | undefined;

  constructor(private readonly pool: RunnerPool, private readonly progress: Progress) {}

  /** The input, cut off once a stop begins: the pool gets no new items, running ones go on. */
  async *feed(items: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    for await (const item of items) {
      if (this.stopping) return;
      yield item;
    }
  }

  interrupt(flushJournal: () => void, stats: RunStats, config: RunConfig): void {
    if (this.interrupted) {
      // Second Ctrl-C: the user wants out now. Everything accepted is fsync'd first.
      flushJournal();
      process.stderr.write(`\nStopped at once. The journal is valid; ${stats.done.toLocaleString('en-US')} items were done.\n`);
      if (config.journal) process.stderr.write(`${resumeHint(config)}\n`);
      const exit = () => process.exit(EXIT.interrupted);
      setTimeout(exit, HARD_STOP_WAIT_MS).unref();
      this.pool.terminate().then(exit, exit);
      return;
    }
    this.interrupted = true;
    this.stopping = true;
    const running = this.pool.stats().running;
    this.progress.note(`Stopping: no new items; waiting up to ${STOP_GRACE_MS / 1000}s for ${running} running item(s). Ctrl-C again to stop at once.`);
    this.#graceTimer = setTimeout(() => this.terminate(), STOP_GRACE_MS);
    this.#graceTimer.unref();
  }

  checkHalt(config: RunConfig, stats: RunStats): void {
    const h = config.halt;
    if (!h || this.stopping) return;
    const failed = stats.failed - stats.counts.aborted;
    const hit = h.failCount !== undefined
      ? failed >= h.failCount
      : stats.done >= 10 && (100 * failed) / stats.done >= h.failPercent!;
    if (!hit) return;
    this.haltReason = `${failed} failed (--halt ${h.when},fail=${h.failCount ?? `${h.failPercent}%`})`;
    this.stopping = true;
    this.progress.note(`Halting: ${this.haltReason}`);
    if (h.when === 'now') this.terminate();
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.pool.terminate().catch(() => { /* the run loop reports what matters */ });
  }

  done(): void {
    if (this.#graceTimer) clearTimeout(this.#graceTimer);
  }
}

/**
 * `--chunksize auto`. A chunk is one task to the pool, so a timeout, a crash
 * or a memory kill fails the whole chunk: with --timeout or --max-memory,
 * items go one by one. Otherwise a known total is cut into about 64 chunks
 * per worker (at most 32 items each), which removes most IPC round trips for
 * small items while keeping the tail of the run balanced.
 */
function autoChunksize(config: RunConfig, total: number | undefined): number {
  if (config.timeout !== undefined || config.maxMemory !== undefined) return 1;
  if (total === undefined) return 1;
  const workers = config.processes ?? availableParallelism();
  return Math.min(AUTO_CHUNK_MAX, Math.max(1, Math.floor(total / (workers * 64))));
}

function inputText(s: JournaledItem): string {
  return s.item instanceof BadLine ? preview(s.item.text) : preview(s.item);
}

function checkJournalChoice(config: RunConfig): void {
  if (!config.journal || config.resume || config.force) return;
  if (existsSync(config.journal) && statSync(config.journal).size > 0) {
    throw new UsageError(
      `The journal ${config.journal} exists from an earlier run. Pass --resume to continue it (finished items are not run again), or --force to start over.`,
    );
  }
}

function toUsageError(err: unknown, config: RunConfig): Error {
  const e = err as Error & { code?: string };
  if (e.code === 'ERR_FORKPOOL_UNKNOWN_TASK') {
    const mod = config.moduleSpec;
    const what = config.exportNamed ? `has no exported function ${JSON.stringify(config.exportName)}` : 'has no default export; name the function to run as <module>#<export>';
    const list = (e as { exports?: string[] }).exports;
    return new UsageError(`The module ${mod} ${what}${list ? ` (it exports: ${list.join(', ') || 'no functions'})` : `: ${e.message}`}`);
  }
  if (e.code === 'ERR_FORKPOOL_POOL_BROKEN' || e.code === 'ERR_FORKPOOL_WORKER_START') {
    return new UsageError(`The module ${config.moduleSpec} could not be loaded in the workers: ${e.message}`);
  }
  if (e.code === 'ERR_FORKPOOL_JOURNAL_MISMATCH' || e.code === 'ERR_FORKPOOL_JOURNAL_CORRUPT' || e.code === 'ERR_FORKPOOL_USAGE') {
    return new UsageError(e.message.replace("pass journalMode: 'overwrite' (CLI: --force)", 'pass --force'));
  }
  return e;
}

/** The same command line again, with --resume. */
function resumeHint(config: RunConfig): string {
  const args = process.argv.slice(2).filter((a) => a !== '--force' && a !== '--resume');
  const quoted = args.map((a) => (/^[\w./#%=:@+-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`));
  return `The journal ${config.journal} holds every finished item. To continue where this run stopped:\n  forkpool ${quoted.join(' ')} --resume`;
}
