/**
 * JoinableQueue: the items consumers took and have not marked done, so the
 * items a dying worker held can go back into the queue.
 *
 * `taskDone()` names no item (as in Python: it is a counter), so the hub
 * cannot know which item a call finishes; it knows who called. It keeps:
 *
 *   at risk   per worker, the items its code took while a task of it runs,
 *             in the order taken. If the worker dies (crash, kill, memory
 *             cap, task timeout), they go back to the front of the queue
 *             (`QueueState.peerGone`), still unfinished.
 *   unbound   a count of items taken that no death can bring back: taken by
 *             the main process, or by a worker whose task has ended (returned
 *             or thrown) or that left cleanly (recycled, pool closed or
 *             terminated). Whoever took them finishes them, or nobody: only
 *             a death means the work was cut off.
 *   credit    `taskDone()` calls that found no item taken at all (legal in
 *             Python: the counter only has to stay >= 0). The next items
 *             taken are counted done at once, so they are never put back.
 *
 * Which item one `taskDone()` settles: the caller's own oldest at-risk
 * item; else an unbound one (the main process's own, or one whose task has
 * ended: a caller holding nothing at risk is finishing work handed on); else
 * the oldest at-risk item of any worker; else it is credit. So an item
 * counted done is never put back, and `unfinished` (QueueState) always equals
 * the items in the queue, on their way or lent, plus at risk, plus unbound,
 * minus credit: a put-back can never make a later `taskDone()` fail.
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
   * `caller` marked one item done (see the header for which). `readAll`
   * accounts for every worker's takes first; it is called only when an
   * at-risk item of another worker may be the one settled.
   */
  done(caller: string, readAll: () => void): void {
    if (this.#settle(caller)) return;
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
   * A task of worker `caller` ended (returned or threw) after its code took
   * lease items numbered below `taken`: those, and every acknowledged item,
   * are no longer at risk. With several tasks at once in the worker, the
   * others' items go with them (the hub cannot tell whose they are).
   */
  taskEnded(caller: string, taken: number): void {
    const mine = this.#atRisk.get(caller);
    if (!mine) return;
    const kept = new Deque<Taken>();
    for (const x of mine.drain()) {
      if (x.n < taken) this.#unbound++;
      else kept.push(x);
    }
    if (kept.length === 0) this.#atRisk.delete(caller);
    else this.#atRisk.set(caller, kept);
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

  #settle(key: string): boolean {
    const mine = this.#atRisk.get(key);
    if (!mine || mine.length === 0) return false;
    mine.shift();
    if (mine.length === 0) this.#atRisk.delete(key);
    return true;
  }
}
