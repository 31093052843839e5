/**
 * Applying finished jobs to their tasks, on the client: each final outcome
 * once (a job read again is a duplicate), per-item errors as `'taskError'`,
 * whole-task errors counted by kind.
 *
 * A job lost more often than `maxStalledCount` (its node died, or Redis cut
 * it off, each time it ran) may hold one poison item among innocent ones.
 * Failing them all would fail items for a neighbour's crash, so such a job is
 * resubmitted one item per job, once: a chunk becomes one task per item,
 * whose outcomes are put back together into the chunk's. Only the culprit's
 * own job then fails with WorkerLostError.
 */
import type { EventEmitter } from 'node:events';
import type { LogRouter } from '../engine/logs.js';
import type { StatsBook } from '../engine/stats.js';
import { Task, type ChunkOutcome } from '../engine/task.js';
import type { FinishedJob } from './link.js';
import type { Outbox, OutJob } from './outbox.js';
import { LOG_BYTES_PER_JOB } from './node-logs.js';
import { earlyEnds, failureKind, taskEnds, type TaskEnd } from './outcome.js';
import { STALLED_REASON } from './recover.js';
import { emitSafely } from '../util/emit.js';

export class Outcomes {
  readonly #box: Outbox;
  readonly #stats: StatsBook;
  readonly #events: EventEmitter;
  /** Outcomes dropped because their job had been applied already. */
  duplicates = 0;

  readonly #ranOn: (node: string) => number;
  readonly #logs: LogRouter;
  /** The last job whose dropped log lines were reported (the count is per job). */
  #droppedReported = '';

  /** `ranOn(node)`: a task ended on that node; returns its worker id (as `stats().workers` lists it). `logs`: the pool's `logs` option. */
  constructor(box: Outbox, stats: StatsBook, events: EventEmitter, ranOn: (node: string) => number, logs: LogRouter) {
    this.#box = box;
    this.#stats = stats;
    this.#events = events;
    this.#ranOn = ranOn;
    this.#logs = logs;
  }

  /** Applies each final outcome once; returns the jobs applied now (they may leave Redis). */
  applyFinished(finished: FinishedJob[]): string[] {
    const done: string[] = [];
    for (const f of finished) {
      // A spilled part read by the poll before any event made it known is adopted first.
      const job = this.#box.finish(f.id) ?? (this.#box.adoptSpilled(f.id) ? this.#box.finish(f.id) : undefined);
      if (!job) { if (this.#box.wasApplied(f.id)) this.duplicates++; continue; }
      if (f.returnvalue === null && f.failedReason === STALLED_REASON && !job.isolated && itemsOf(job) > 1) this.#isolate(job);
      else this.#apply(job, f);
      done.push(f.id);
    }
    return done;
  }

  #apply(job: OutJob, f: FinishedJob): void {
    const ends = taskEnds(job.tasks.length, f.returnvalue, f.failedReason, f.stored);
    job.tasks.forEach((t, i) => this.#end(job, t, ends[i]!));
  }

  /**
   * Tasks of a job still running that ended on its node (early-results.ts:
   * the rest of the job holds them no longer). Each settles now; the job's
   * result, which carries them again, then finds them settled.
   */
  applyEarly(jobId: string, progress: unknown): void {
    const job = this.#box.job(jobId);
    if (!job) return;
    for (const [i, end] of earlyEnds(progress)) {
      const t = job.tasks[i];
      if (t) this.#end(job, t, end);
    }
  }

  #end(job: OutJob, t: Task, end: TaskEnd): void {
    const { result, ms, node, retried, logs, dropped, spilled } = end;
    if (t.settled) return;
    // Its node re-added it as a job of its own: its outcome comes with that job.
    if (spilled) return this.#box.track(spilled, t, job.run);
    if (ms) this.#stats.runTimes.add(ms);
    if (retried) this.#stats.retried += retried;
    const workerId = node ? this.#ranOn(node) : 0;
    // Before the task settles, as a local worker's lines arrive before its result.
    for (const [stream, text, time] of logs ?? []) this.#logs.line({ workerId, taskId: t.id, stream: stream ? 'stderr' : 'stdout', text, time });
    if (dropped && this.#droppedReported !== job.id) {
      this.#droppedReported = job.id;
      this.#logs.line({ workerId, taskId: t.id, stream: 'stderr', text: `[forkpool] ${dropped} line(s) of output dropped on node ${node}: at most ${LOG_BYTES_PER_JOB} bytes return with one job`, time: Date.now() });
    }
    if (result instanceof Error) return this.fail(t, result, ms, workerId);
    const failed = result.errors?.length ?? 0;
    this.#stats.completed += result.values.length - failed;
    this.#stats.failed.error += failed;
    if (result.errors) for (const [, error] of result.errors) emitSafely(this.#events, 'taskError', { taskId: t.id, name: t.name, error });
    t.settle(result, { workerId, ms });
  }

  fail(t: Task, err: Error, ms = 0, workerId = 0): void {
    if (t.settled) return;
    this.#stats.failed[failureKind(err)] += t.size;
    emitSafely(this.#events, 'taskError', { taskId: t.id, name: t.name, error: err });
    t.settle(err, { workerId, ms });
  }

  /** Each item of the lost job goes back alone, in a job of its own that is never split again. */
  #isolate(job: OutJob): void {
    const singles: Task[] = [];
    for (const t of job.tasks) {
      if (t.settled) continue;
      if (!t.items) singles.push(t);
      else singles.push(...splitChunk(t, (parent) => this.#box.unpark(parent)));
      if (t.items) this.#box.park(t);
    }
    this.#box.pushIsolated(singles);
  }
}

function itemsOf(job: OutJob): number {
  return job.tasks.reduce((n, t) => n + t.size, 0);
}

/** One task per item of `chunk`; when all have ended, `chunk` settles with their outcomes in order. */
function splitChunk(chunk: Task, done: (chunk: Task) => void): Task[] {
  const items = chunk.items!;
  const values: unknown[] = new Array(items.length);
  const errors: Array<[number, Error]> = [];
  const times: number[] = new Array(items.length).fill(0);
  let left = items.length;
  let ms = 0;
  let workerId = 0;
  return items.map((item, i) => new Task({
    name: chunk.name,
    items: [item],
    spread: chunk.spread,
    timeout: chunk.timeout,
    retries: chunk.retries,
    retryOnError: chunk.retryOnError,
    keys: chunk.keys ? [chunk.keys[i]!] : undefined,
    run: chunk.run,
    itemTimes: chunk.itemTimes,
    sink: (result: ChunkOutcome | Error, info) => {
      ms += info.ms;
      times[i] = info.ms;
      workerId ||= info.workerId;
      if (result instanceof Error) errors.push([i, result]);
      else if (result.errors?.length) errors.push([i, result.errors[0]![1]]);
      else values[i] = result.values[0];
      if (--left > 0) return;
      done(chunk);
      errors.sort((a, b) => a[0] - b[0]);
      const outcome = { values, errors: errors.length ? errors : undefined };
      chunk.settle(chunk.itemTimes ? { ...outcome, times } : outcome, { workerId, ms });
    },
  }));
}
