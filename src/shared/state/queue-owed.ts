/**
 * JoinableQueue: the items each consumer took and has not marked done.
 *
 * `taskDone()` names no item (as in Python), so the hub cannot know which item
 * a call finishes; it knows who called. Each worker's taken items are kept, in
 * the order its code received them, until that worker calls `taskDone()` as
 * many times. When a worker dies, what it still owes goes back to the front of
 * the queue (`QueueState.peerGone`) and stays unfinished, so another consumer
 * does the work and `join()` resolves once it is done: nothing is lost, and
 * `join()` never waits for an item that is nowhere (before, the item was gone,
 * `qsize()` said 0 and `join()` never resolved).
 *
 * Redelivery means an item may be processed twice when its consumer died after
 * acting on it but before `taskDone()`: at-least-once, the price of "nothing
 * lost". A plain Queue keeps at-most-once (it tracks nothing here).
 *
 * A `taskDone()` from a caller that owes nothing (the main process finishing
 * a worker's item, a coordinator task) settles someone else's debt, the main
 * process's first, then the oldest worker's, so the items still owed never
 * outnumber the unfinished count and a later death cannot put back an item
 * that was already counted done. The main process cannot die before the hub,
 * so it is owed a count, not copies.
 */
import { Deque } from '../../util/deque.js';
import { MAIN } from '../hub/reply.js';

export class Owed {
  readonly #byWorker = new Map<string, Deque<unknown>>();
  #main = 0;

  /** `caller`'s code received `items` (in this order). */
  took(caller: string, items: readonly unknown[]): void {
    if (items.length === 0) return;
    if (caller === MAIN) { this.#main += items.length; return; }
    let owed = this.#byWorker.get(caller);
    if (!owed) this.#byWorker.set(caller, owed = new Deque());
    for (const x of items) owed.push(x);
  }

  /** `caller` marked one item done: its oldest, else someone else's (see the header). */
  done(caller: string): void {
    if (caller === MAIN ? this.#settleMain() : this.#settle(this.#byWorker.get(caller), caller)) return;
    if (this.#settleMain()) return;
    for (const [key, owed] of this.#byWorker) if (this.#settle(owed, key)) return;
  }

  /** Worker `caller` died: the items it took and never marked done, oldest first. */
  gone(caller: string): unknown[] {
    const owed = this.#byWorker.get(caller);
    this.#byWorker.delete(caller);
    return owed ? owed.drain() : [];
  }

  clear(): void {
    this.#byWorker.clear();
    this.#main = 0;
  }

  #settleMain(): boolean {
    if (this.#main === 0) return false;
    this.#main--;
    return true;
  }

  #settle(owed: Deque<unknown> | undefined, key: string): boolean {
    if (!owed || owed.length === 0) return false;
    owed.shift();
    if (owed.length === 0) this.#byWorker.delete(key);
    return true;
  }
}
