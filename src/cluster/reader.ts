/**
 * Reads finished jobs for the client. An event (QueueEvents) only wakes it;
 * the outcome always comes from the job's hash, and every POLL_MS (and after
 * a reconnect) it reads every outstanding job, so a result is never lost with
 * a trimmed or missed event. Jobs woken in one turn are read in one pipeline;
 * a job already being read is not read twice at once.
 */
import type { ClientLink, FinishedJob } from './link.js';

/** Every this often all outstanding jobs are read: results never depend on the events stream alone. */
export const POLL_MS = 5_000;

export interface ReaderHooks {
  outstanding(): string[];
  isOutstanding(id: string): boolean;
  /** Applies final outcomes; returns the ids applied now (they leave Redis). */
  apply(jobs: FinishedJob[]): string[];
  /** After each read: pack more, wake join(). */
  after(): void;
}

export class ResultReader {
  readonly #link: ClientLink;
  readonly #hooks: ReaderHooks;
  readonly #toRead = new Set<string>();
  readonly #reading = new Set<string>();
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
