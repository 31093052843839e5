/**
 * Node side: the results of a job's tasks that ended while others of the
 * job still run, reported before the job's result.
 *
 * A job's result leaves only when all its tasks have ended. spill.ts moves
 * the tasks that still wait for a worker after SPILL_AFTER_MS, but on a node
 * with more than one slot the tasks packed with a long one do not wait: the
 * node's other workers run them at once, so nothing is left to spill, and
 * their results waited inside the job for the long task. So once the job has
 * run SPILL_AFTER_MS, what has ended (and then each task as it ends, while
 * others run) is reported through the job's progress (`Job.updateProgress`:
 * BullMQ writes it into the job's hash and, as a `progress` event, into the
 * events stream, which the client applies). The job's result still carries
 * every outcome, so a progress event the client misses only delays those
 * results to the job's end, and no result lives only in the events stream.
 */
import type { Job } from 'bullmq';
import { encodeProgress, type JobProgress, type TaskResult } from './codec.js';
import { INLINE_RESULT_BYTES } from './settings.js';

export class EarlyResults {
  readonly #job: Job;
  readonly #node: string;
  /** Tasks whose outcome does not come from here (spilled to a job of their own): never reported. */
  readonly #skip: (index: number) => boolean;
  /** Tasks of the job not ended here yet. */
  #left: number;
  #ended: Array<[number, TaskResult]> = [];
  #open = false;
  #sending = false;

  constructor(job: Job, node: string, tasks: number, skip: (index: number) => boolean) {
    this.#job = job;
    this.#node = node;
    this.#left = tasks;
    this.#skip = skip;
  }

  /** Task `index` of the job ended here. */
  ended(index: number, result: TaskResult): void {
    // The last one: the job's result, which holds them all, leaves now.
    if (--this.#left === 0) return this.close();
    if (this.#skip(index)) return;
    this.#ended.push([index, result]);
    void this.#send();
  }

  /** The job has run SPILL_AFTER_MS: what ended is reported now, the rest as it ends. */
  open(): void {
    if (this.#left === 0) return;
    this.#open = true;
    void this.#send();
  }

  /** The job's result is being made (or the job handed back): nothing more is reported early. */
  close(): void {
    this.#open = false;
    this.#ended = [];
  }

  /** One progress update at a time; results that end meanwhile go in the next one. */
  async #send(): Promise<void> {
    if (!this.#open || this.#sending) return;
    this.#sending = true;
    try {
      while (this.#open && this.#ended.length > 0) {
        const progress = this.#batch();
        if (progress) await this.#job.updateProgress(progress);
      }
    } catch {
      // Redis away, or the job ended and left already: these results come with the job's result.
    } finally {
      this.#sending = false;
    }
  }

  /**
   * Takes the first results that fit INLINE_RESULT_BYTES (the hash and the
   * events stream get no large values); a single one that does not fit is
   * left to the job's result.
   */
  #batch(): JobProgress | undefined {
    let n = this.#ended.length;
    let progress = encodeProgress(this.#ended.slice(0, n), this.#node);
    while (progress.p.length > INLINE_RESULT_BYTES && n > 1) {
      n = Math.ceil(n / 2);
      progress = encodeProgress(this.#ended.slice(0, n), this.#node);
    }
    this.#ended.splice(0, n);
    return progress.p.length <= INLINE_RESULT_BYTES ? progress : undefined;
  }
}
