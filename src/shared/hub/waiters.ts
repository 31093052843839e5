/**
 * Callers parked on a hub object (a blocked `get`, `acquire`, `wait`...), in
 * arrival order, each with its own timeout. The hub owns the timers rather
 * than the worker: the decision "got it" or "timed out" is then made in one
 * place, so a lock can never be granted to a caller that already gave up.
 */
import { longTimeout, type LongTimer } from '../../util/timers.js';
import { WaitCancelledError } from '../errors.js';
import type { Reply } from './reply.js';

export interface Waiter {
  readonly caller: string;
}

interface Entry<W> { w: W; timer: LongTimer | undefined }

export class Waiters<W extends Waiter> {
  #entries: Entry<W>[] = [];

  get length(): number { return this.#entries.length; }

  /**
   * Parks `w`. After `timeout` ms (if given) it is removed and `onTimeout(w)` runs.
   * When `reply` is given, the caller may withdraw it (AbortSignal): it is then
   * removed and `onCancel(w)` runs, by default failing `reply` as cancelled.
   */
  add(w: W, timeout: number | undefined, onTimeout: (w: W) => void, reply?: Reply,
    onCancel: (w: W) => void = () => reply?.fail(new WaitCancelledError('the wait was cancelled'))): void {
    const entry: Entry<W> = { w, timer: undefined };
    if (reply) {
      reply.onCancel = () => {
        const i = this.#entries.indexOf(entry);
        // Already granted, timed out or dropped: the answer given stands.
        if (i < 0) return;
        this.#entries.splice(i, 1);
        entry.timer?.clear();
        onCancel(w);
      };
    }
    if (timeout !== undefined) {
      // Not setTimeout: Node fires a delay past 2^31-1 ms (about 24.8 days) after 1 ms.
      entry.timer = longTimeout(() => {
        const i = this.#entries.indexOf(entry);
        if (i < 0) return;
        this.#entries.splice(i, 1);
        onTimeout(w);
      }, timeout);
    }
    this.#entries.push(entry);
  }

  shift(): W | undefined {
    const entry = this.#entries.shift();
    if (!entry) return undefined;
    entry.timer?.clear();
    return entry.w;
  }

  peek(): W | undefined { return this.#entries[0]?.w; }

  /** Removes and returns every waiter of `caller` (a worker that died). */
  dropCaller(caller: string): W[] {
    return this.removeIf((w) => w.caller === caller);
  }

  /** Removes and returns every waiter `which` picks, in arrival order. */
  removeIf(which: (w: W) => boolean): W[] {
    const gone: W[] = [];
    this.#entries = this.#entries.filter((e) => {
      if (!which(e.w)) return true;
      e.timer?.clear();
      gone.push(e.w);
      return false;
    });
    return gone;
  }

  /** Removes and returns every waiter. */
  drain(): W[] {
    const all = this.#entries;
    this.#entries = [];
    for (const e of all) e.timer?.clear();
    return all.map((e) => e.w);
  }
}
