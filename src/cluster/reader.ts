/**
 * Reads finished jobs for the client. A `completed` event carries the job's
 * return value, as stored in its hash by a completion BullMQ accepted under
 * the job's lock: an inline result is applied from it, saving a read (a round
 * trip per job), and so is a `progress` event (tasks of a running job that
 * ended on its node: early-results.ts; the job's result holds them again).
 * Any other event (a failure, a result stored by reference) only wakes the
 * reader, which reads the job's hash. Every POLL_MS (and after
 * a reconnect) it reads every outstanding job, so a result never depends on
 * the events stream: a trimmed or missed event only delays it, and the job
 * stays in Redis until its outcome was applied. Jobs woken in one turn are
 * read in one pipeline; a job already being read is not read twice at once.
 */
import { JOB_FORMAT } from './settings.js';
import type { JobResult } from './codec.js';
import type { ClientLink, FinishedJob } from './link.js';

/** Every this often all outstanding jobs are read: results never depend on the events stream alone. */
export const POLL_MS = 5_000;

export interface ReaderHooks {
  outstanding(): string[];
  isOutstanding(id: string): boolean;
  /** Applies final outcomes; returns the ids applied now (they leave Redis). */
  apply(jobs: FinishedJob[]): string[];
  /** Applies the outcomes of tasks a running job's node reported early (they come again with the job). */
  applyEarly(id: string, progress: unknown): void;
  /** After each read: pack more, wake join(). */
  after(): void;
}

export class ResultReader {
  readonly #link: ClientLink;
  readonly #hooks: ReaderHooks;
  readonly #toRead = new Set<string>();
  readonly #reading = new Set<string>();
  /** Completed jobs whose event carried their result, applied together in one microtask. */
  #arrived: FinishedJob[] = [];
  #scheduled = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(link: ClientLink, hooks: ReaderHooks) {
    this.#link = link;
    this.#hooks = hooks;
    this.#timer = setInterval(() => this.readAll(), POLL_MS);
  }

  /** A hint that `id` finished: read it (with the others woken in this turn). */
  wake(id: string): void {
    if (!this.#hooks.isOutstanding(id)) return;
    this.#toRead.add(id);
    if (this.#scheduled) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      const ids = [...this.#toRead];
      this.#toRead.clear();
      void this.#read(ids);
    });
  }

  /** A `completed` event: its inline result is applied as read from the hash would be; anything else is read. */
  completed(id: string, returnvalue: unknown): void {
    if (!this.#hooks.isOutstanding(id)) return;
    // Being read right now: that read applies it (applying it here too would count a duplicate).
    if (this.#reading.has(id)) return;
    const rv = returnvalue as JobResult | null;
    if (rv?.f !== JOB_FORMAT || typeof rv.r !== 'string') return this.wake(id);
    if (this.#arrived.push({ id, returnvalue: rv, failedReason: null }) > 1) return;
    queueMicrotask(() => {
      const finished = this.#arrived;
      this.#arrived = [];
      void this.#applyAndRemove(finished);
    });
  }

  /** A `progress` event: tasks of a running job ended on its node (early-results.ts). */
  progress(id: string, progress: unknown): void {
    if (!this.#hooks.isOutstanding(id)) return;
    this.#hooks.applyEarly(id, progress);
    this.#hooks.after();
  }

  readAll(): void {
    const ids = this.#hooks.outstanding();
    if (ids.length > 0) void this.#read(ids);
  }

  async #read(wanted: string[]): Promise<void> {
    const ids = wanted.filter((id) => !this.#reading.has(id));
    if (ids.length === 0) return;
    for (const id of ids) this.#reading.add(id);
    let finished: FinishedJob[];
    try {
      finished = await this.#link.finished(ids);
    } catch {
      return; // Redis away: the next poll reads them again
    } finally {
      for (const id of ids) this.#reading.delete(id);
    }
    await this.#applyAndRemove(finished);
  }

  async #applyAndRemove(finished: FinishedJob[]): Promise<void> {
    const done = this.#hooks.apply(finished);
    // Applied: the job (and its stored result) leaves Redis; a later read of it finds nothing.
    const applied = new Set(done);
    const refs = finished.filter((f) => f.ref && applied.has(f.id)).map((f) => f.ref!);
    if (done.length > 0) await this.#link.remove(done, refs);
    this.#hooks.after();
  }

  /** The poll keeps the process alive only while the pool has work. */
  ref(busy: boolean): void {
    if (busy) this.#timer?.ref();
    else this.#timer?.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
