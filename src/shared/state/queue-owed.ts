/**
 * JoinableQueue: the items consumers took and have not marked done, so the
 * items a dying worker held can go back into the queue.
 *
 * `taskDone()` names no item (as in Python: it is a counter), so the hub
 * cannot know from the call alone which item it finishes. A worker's link
 * knows which of its tasks is calling, and which items that task's code took
 * (`objects/queue-feed.ts`): it names the task's oldest one by its number in
 * the worker's lease (or says the task holds none). The hub keeps:
 *
 *   at risk   per worker, the items its code took, in the order taken, each
 *             by its number. If the worker dies (crash, kill, memory cap,
 *             task timeout), those still at risk go back to the front of the
 *             queue (`QueueState.peerGone`), still unfinished.
 *   unbound   a count of items taken that no death can bring back: taken by
 *             the main process, or by a task that has ended (returned or
 *             thrown; the worker lists its items just before the result), or
 *             by a worker that left cleanly (recycled, pool closed or
 *             terminated). Whoever took them finishes them, or nobody: only
 *             a death means the work was cut off. A task's end frees only
 *             its own items: with several tasks at once in a worker
 *             (`concurrentTasksPerWorker`), another one still running keeps
 *             its items at risk.
 *   credit    `taskDone()` calls that found no item taken at all (legal in
 *             Python: the counter only has to stay >= 0). The next items
 *             taken are counted done at once, so they are never put back.
 *
 * Which item one `taskDone()` settles: the one the worker named, if it is
 * still at risk; else (the main process, which holds nothing at risk, or a
 * task that holds nothing) an unbound one (the main process's own, or one
 * whose task has ended: a caller holding nothing is finishing work handed
 * on); else the oldest at-risk item of any worker; else it is credit. So a
 * task never loses an item it is still working on to a `taskDone()` of a
 * task running beside it, an item counted done is never put back, and
 * `unfinished` (QueueState) always
 * equals the items in the queue, on their way or lent, plus at risk, plus
 * unbound, minus credit: a put-back can never make a later `taskDone()` fail.
 *
 * Items acknowledged on arrival (a worker with no take log) are numbered -1:
 * the hub tells them apart only by their order, oldest first.
 *
 * A plain Queue tracks nothing here: it stays at most once.
 */
import { Deque } from '../../util/deque.js';
import { MAIN } from '../hub/reply.js';

interface Taken {
  readonly item: unknown;
  /** Its number in the worker's lease (what the take log counts); -1 for an item acknowledged on arrival. */
  readonly n: number;
  /** Order of becoming known here, across workers: "oldest of any worker". */
  readonly seq: number;
}

export class Owed {
  readonly #atRisk = new Map<string, Deque<Taken>>();
  #unbound = 0;
  #credit = 0;
  #seq = 0;

  /**
   * `caller`'s code received `items`, in this order. `firstN`: the lease
   * number of the first (the next ones follow), or -1 for acknowledged items.
   */
  took(caller: string, items: readonly unknown[], firstN = -1): void {
    for (let i = 0; i < items.length; i++) {
      if (this.#credit > 0) { this.#credit--; continue; }
      if (caller === MAIN) { this.#unbound++; continue; }
      let mine = this.#atRisk.get(caller);
      if (!mine) this.#atRisk.set(caller, mine = new Deque());
      mine.push({ item: items[i], n: firstN < 0 ? -1 : firstN + i, seq: this.#seq++ });
    }
  }

  /**
   * `caller` marked one item done (see the header for which). `which`: the
   * item a worker named (-1: its oldest acknowledged one), null when its
   * task holds none, undefined from the main process. `readAll` accounts
   * for every worker's takes first; it is called only when an at-risk item
   * of another worker may be the one settled.
   */
  done(caller: string, readAll: () => void, which?: number | null): void {
    if (which === undefined ? this.#settle(caller) : which !== null && this.#take(caller, which)) return;
    if (this.#unbound > 0) { this.#unbound--; return; }
    readAll();
    let oldest: string | undefined;
    let seq = Infinity;
    for (const [key, mine] of this.#atRisk) {
      const head = mine.peek();
      if (head && head.seq < seq) { seq = head.seq; oldest = key; }
    }
    if (oldest !== undefined && this.#settle(oldest)) return;
    this.#credit++;
  }

  /**
   * A task of worker `caller` ended (returned or threw) holding the items
   * numbered `held`: they are no longer at risk. An item already settled
   * (someone else's `taskDone()` took it for the oldest) is not there.
   */
  taskEnded(caller: string, held: readonly number[]): void {
    for (const n of held) if (this.#take(caller, n)) this.#unbound++;
  }

  /**
   * Worker `caller` is gone. `died`: the items it held at risk, oldest
   * first, to go back into the queue. Otherwise (recycled, closed,
   * terminated) they become unbound and nothing goes back.
   */
  gone(caller: string, died: boolean): unknown[] {
    const mine = this.#atRisk.get(caller);
    this.#atRisk.delete(caller);
    if (!mine) return [];
    if (died) return mine.drain().map((x) => x.item);
    this.#unbound += mine.length;
    return [];
  }

  clear(): void {
    this.#atRisk.clear();
    this.#unbound = 0;
    this.#credit = 0;
  }

  /** Removes item `n` (-1: the oldest acknowledged one) from `caller`'s at-risk items; false if it is not there. */
  #take(caller: string, n: number): boolean {
    const mine = this.#atRisk.get(caller);
    if (!mine) return false;
    // Items are settled oldest first within a task, so the head is the usual case.
    if (mine.peek()!.n === n) return this.#settle(caller);
    const all = mine.drain();
    const i = all.findIndex((x) => x.n === n);
    if (i >= 0) all.splice(i, 1);
    for (const x of all) mine.push(x);
    if (mine.length === 0) this.#atRisk.delete(caller);
    return i >= 0;
  }

  #settle(key: string): boolean {
    const mine = this.#atRisk.get(key);
    if (!mine || mine.length === 0) return false;
    mine.shift();
    if (mine.length === 0) this.#atRisk.delete(key);
    return true;
  }
}
