/**
 * Stopping a run early, by its three doors, each of which leaves a valid journal:
 *
 * - Ctrl-C (or SIGTERM): stop taking new items, let running ones finish
 *   for `STOP_GRACE_MS`, then terminate the pool; print how to resume.
 * - A second Ctrl-C: flush the journal synchronously and exit at once.
 * - `--halt`: `soon` stops taking items, `now` also terminates the pool.
 *
 * Plus a quiet one: the reader of stdout went away (`| head -1`).
 */
import type { RunConfig } from './args.js';
import { EXIT } from './errors.js';
import type { RunnerPool } from './pool-port.js';
import type { Progress } from './progress.js';
import type { RunStats } from './run-stats.js';
import { plural } from './units.js';

const STOPPED = Symbol('stopped');

/** After the first Ctrl-C, running items get this long to finish before the pool is terminated. */
export const STOP_GRACE_MS = 10_000;
/** A second Ctrl-C waits at most this long for the workers to be killed before exiting anyway. */
const HARD_STOP_WAIT_MS = 2_000;

export class StopControl {
  stopping = false;
  interrupted = false;
  terminated = false;
  /** stdout's reader closed it: the run stops without a word. */
  brokenPipe = false;
  haltReason: string | undefined;
  #graceTimer: NodeJS.Timeout | undefined;
  /** Settles when a stop begins: a feed waiting for its next item (an idle stdin, a `--delay`) ends then. */
  readonly #stopped: Promise<typeof STOPPED>;
  #markStopped!: () => void;

  constructor(private readonly pool: RunnerPool, private readonly progress: Progress) {
    this.#stopped = new Promise((resolve) => { this.#markStopped = () => resolve(STOPPED); });
  }

  /**
   * The input, cut off once a stop begins: the pool gets no new items, running
   * ones go on. The wait for the next item is cut too, so a producer that sends
   * nothing (`tail -f`, an idle pipe) cannot hold a Ctrl-C until it writes again.
   */
  async *feed(items: AsyncIterable<unknown>): AsyncGenerator<unknown> {
    const it = items[Symbol.asyncIterator]();
    try {
      while (!this.stopping) {
        const r = await Promise.race([it.next(), this.#stopped]);
        if (r === STOPPED || r.done || this.stopping) return;
        yield r.value;
      }
    } finally {
      // Not awaited: the source may be in the middle of a read that never ends.
      it.return?.()?.catch(() => {});
    }
  }

  /** Settles when a stop begins. */
  get stopped(): Promise<unknown> { return this.#stopped; }

  #stop(): void {
    this.stopping = true;
    this.#markStopped();
  }

  interrupt(flushJournal: () => void, stats: RunStats, resumeHint: string | undefined): void {
    if (this.interrupted) {
      // Second Ctrl-C: the user wants out now. Everything accepted is fsync'd first, and the
      // bar is stopped before the last words so that no redraw erases them.
      flushJournal();
      this.progress.stop();
      process.stderr.write(`Stopped at once. The journal is valid; ${plural(stats.done, 'item')} ${stats.done === 1 ? 'was' : 'were'} done.\n`);
      if (resumeHint) process.stderr.write(`${resumeHint}\n`);
      const exit = () => process.exit(EXIT.interrupted);
      setTimeout(exit, HARD_STOP_WAIT_MS).unref();
      this.pool.terminate().then(exit, exit);
      return;
    }
    this.interrupted = true;
    this.#stop();
    const running = this.pool.stats().running;
    this.progress.note(`Stopping: no new items; waiting up to ${STOP_GRACE_MS / 1000}s for ${plural(running, 'running item')}. Ctrl-C again to stop at once.`);
    this.#graceTimer = setTimeout(() => this.terminate(), STOP_GRACE_MS);
    this.#graceTimer.unref();
  }

  /** `| head -1` closed stdout: nothing more can be delivered, so stop now, quietly. */
  outputClosed(): void {
    this.brokenPipe = true;
    this.#stop();
    this.terminate();
  }

  checkHalt(config: RunConfig, stats: RunStats): void {
    const h = config.halt;
    if (!h || this.stopping) return;
    const failed = stats.failed - stats.counts.aborted;
    const counted = h.what === 'fail' ? failed : h.what === 'success' ? stats.counts.ok : stats.done - stats.counts.aborted;
    const hit = h.count !== undefined ? counted >= h.count : percentHit(h.what, h.percent!, counted, stats);
    if (!hit) return;
    const verb = h.what === 'fail' ? 'failed' : h.what === 'success' ? 'succeeded' : 'done';
    this.haltReason = `${counted} ${verb} (--halt ${h.when},${h.what}=${h.count ?? `${h.percent}%`})`;
    this.#stop();
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
 * `fail=N%` is a failure rate, judged once 10 items finished. `success=N%`
 * and `done=N%` are shares of the input, so they need its total (a file, the
 * command line); without one (stdin), `success=N%` is judged like `fail`.
 */
function percentHit(what: 'fail' | 'success' | 'done', percent: number, counted: number, stats: RunStats): boolean {
  if (what !== 'fail' && stats.total !== undefined) return stats.total > 0 && (100 * counted) / stats.total >= percent;
  if (what === 'done') return false;
  return stats.done >= 10 && (100 * counted) / stats.done >= percent;
}
