/**
 * The clocks and meters that stop a worker: a task's timeout, the grace an
 * aborted task gets, the start timeout, and memory polling. Each one only
 * decides *when*; the supervisor decides what a kill means for the tasks.
 */
import { longTimeout, type LongTimer } from '../util/timers.js';
import type { RuntimeWorker } from '../runtime/types.js';

/** How often worker memory (RSS) is read while `maxMemory` is set. */
export const MEMORY_POLL_MS = 100;

/** Calls `onTimeout` once `ms` after a task started (any length; Infinity never). */
export function armTaskTimeout(ms: number, onTimeout: () => void): LongTimer {
  // Judged after the turn's I/O: timers run before the poll phase, so a busy
  // pool would time out a task whose result already waits to be read. The
  // callback checks again whether the task is still unsettled.
  return longTimeout(() => setImmediate(onTimeout), ms);
}

/** After `graceMs`, calls `onExpired` if the aborted task is still running. */
export function armAbortGrace(graceMs: number, stillRunning: () => boolean, onExpired: () => void): void {
  // After the turn's I/O, as armTaskTimeout: a task that ended in time has its result read first.
  longTimeout(() => setImmediate(() => { if (stillRunning()) onExpired(); }), graceMs).unref();
}

/** Calls `onLate` if the worker is not ready within `ms`. Never keeps the process alive on its own. */
export function armStartTimeout(ms: number, onLate: () => void): LongTimer {
  const timer = longTimeout(onLate, ms);
  timer.unref();
  return timer;
}

/**
 * Polls the memory of process workers. Threads cannot be measured from
 * outside; they watch themselves (see the worker entry).
 */
export class MemoryMeter<W extends { runtime: RuntimeWorker; state: string; rss: number | undefined }> {
  #timer: NodeJS.Timeout | undefined;

  constructor(workers: () => Iterable<W>, hard: number, onOver: (w: W, rss: number) => void) {
    this.#timer = setInterval(() => {
      for (const w of workers()) {
        if (w.state !== 'ready' && w.state !== 'stopping') continue;
        const rss = w.runtime.memory();
        if (rss === undefined) continue;
        w.rss = rss;
        // Judged after this turn's I/O: a worker that ran tasks back to back
        // wrote their results before it started the one that grew, but this
        // timer runs before the poll phase that reads them, and the pool
        // would blame a task already done. setImmediate runs after it.
        if (rss > hard) setImmediate(() => { if (w.state === 'ready' || w.state === 'stopping') onOver(w, rss); });
      }
    }, MEMORY_POLL_MS).unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
