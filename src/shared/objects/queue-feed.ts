/**
 * The worker side of a Queue's gets: a local buffer of items the hub lent
 * this worker ahead of its gets (see `state/queue-leases.ts`), so a consumer
 * that takes items quickly pays a round trip per batch, not per item.
 *
 *   get ─► local buffer has an item ─► record the take ─► resolve
 *     └──► empty ─► `take` request (waits in the hub) ─► items ─► buffer ─► serve gets in order
 *   a take that leaves the buffer low ─► `fill`: items now, or the next ones put
 *     (the hub parks it until then, unless a real getter has to wait)
 *   hub notice `{ rc: n }` ─► drop the buffer, answer `reclaimed` with the count taken
 *
 * Read-ahead follows the consumer's pace: the time its code spends between
 * getting an item and asking for the next. A consumer that spends a
 * millisecond or more per item gets one item per get, exactly as without
 * read-ahead, so slow workers never sit on items others could take. One Feed
 * per Queue and worker, kept for the worker's life: its take count must
 * continue across proxies.
 */
import { Deque } from '../../util/deque.js';
import { decodeValue, HANDLE, type Shareable } from '../codec.js';
import { onNotice, post, request, runningTask } from './worker-link.js';
import { takeLog, type TakeLog } from './take-log.js';

/** A consumer spending less than this between items reads ahead. */
const READ_AHEAD_GAP_MS = 1;
/** Items read ahead cover about this much of the consumer's time, so a reclaim waits at most about this long (plus one item). */
const READ_AHEAD_SPAN_MS = 2;
/** Most items asked for at once; the hub caps it too. */
const READ_AHEAD_MAX = 128;

interface Waiter {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  /** Its own `take` request is on its way (its timeout runs in the hub). */
  asked: boolean;
  done: boolean;
}

interface Answer { l?: unknown; s?: unknown }

const feeds = new Map<number, Feed>();
/**
 * JoinableQueue feeds holding items taken by each task (key 0: code outside
 * any task): an item is held by the task whose code took it, since a worker
 * may run several at once (`runningTask`, from worker-link.ts).
 */
const heldBy = new Map<number, Set<Feed>>();

/** `taskDone()` of JoinableQueue `o` in this worker: the item it settles (see `Feed.settle`); null if this worker never took one. */
export function settleOne(o: number): number | null {
  return feeds.get(o)?.settle() ?? null;
}

/** The Feed of Queue `o` in this worker; `joinable`: a JoinableQueue (its takes are reported at each task's end). */
export function feedOf(o: number, joinable: boolean): Feed {
  let feed = feeds.get(o);
  if (!feed) feeds.set(o, (feed = new Feed(o, joinable)));
  return feed;
}

/**
 * Task `id` ended: per JoinableQueue whose items its code took and did not
 * mark done, `[object id, lent items recorded as taken in all, ...the lease
 * number of each item]` (-1 for an item acknowledged on arrival). Sent to the
 * hub just before the task's result (`{k:'te'}`), so those items are no
 * longer put back if this worker dies later, and nobody else's are
 * (state/queue-owed.ts): a task running beside it keeps its own at risk. The
 * count is the take log's, not `#taken`: a reclaim moves that past items
 * this worker never took.
 */
export function takesOfTask(id: number): number[][] {
  const held = heldBy.get(id);
  if (!held) return [];
  heldBy.delete(id);
  const q: number[][] = [];
  for (const feed of held) q.push([feed.o, feed.recorded, ...feed.release(id)]);
  return q;
}

export class Feed {
  /** The Queue's object id. */
  readonly o: number;
  readonly #joinable: boolean;
  readonly #items = new Deque<unknown>();
  /** Gets not served yet, in call order (a handful at most). */
  #waiters: Waiter[] = [];
  readonly #log: TakeLog | null;
  /** Take-log slot, from the hub's first answer; undefined: every item is acknowledged instead. */
  #slot: number | undefined;
  /** Items taken from this Queue's lent items, in all, plus those dropped by reclaims (numbering goes on past them). */
  #taken = 0;
  /** What the take log holds: the number of the last lent item taken, plus one. */
  recorded = 0;
  /** Withdraws the `fill` on its way (undefined: none). */
  #filling: AbortController | undefined;
  /** Items to ask for beyond the one needed (0: none). */
  #want = 0;
  /** When user code last received an item (-1: never). */
  #handedAt = -1;
  /** JoinableQueue: per task (0: none), the lease numbers (-1: acknowledged) of items its code took and has not marked done, oldest first. */
  readonly #held = new Map<number, number[]>();

  constructor(o: number, joinable: boolean) {
    this.o = o;
    this.#joinable = joinable;
    this.#log = takeLog();
    onNotice(o, (v) => this.#notice(v));
  }

  /** Items lent to this worker and not taken yet. */
  get buffered(): number { return this.#items.length; }

  get(timeout: number | undefined, signal: AbortSignal | undefined): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.#pace();
    if (this.#waiters.length === 0 && this.#items.length > 0) {
      // The common case of a fast consumer: an item is here, nobody is ahead.
      let value: unknown;
      try {
        value = this.#take(this.#items.shift());
      } catch (err) {
        return Promise.reject(err);
      }
      this.#refill();
      return Promise.resolve(value);
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = { resolve, reject, timeout, signal, asked: false, done: false };
      this.#waiters.push(w);
      // A fill may wait in the hub for the next put. A get that waits forever
      // can wait for it as well (it is first in line); any other withdraws it
      // and asks with its own timeout.
      if (this.#filling && (timeout !== undefined || signal)) this.#filling.abort();
      if (signal) {
        signal.addEventListener('abort', () => {
          // Not asked yet (waiting for a fill): nothing can be on its way for it.
          if (!w.done && !w.asked) this.#fail(w, signal.reason);
        }, { once: true });
      }
      this.#pump();
    });
  }

  /** Sets how many items to read ahead from the time user code spent since the last one. */
  #pace(): void {
    if (!this.#log || this.#handedAt < 0) return;
    const gap = performance.now() - this.#handedAt;
    if (gap >= READ_AHEAD_GAP_MS) { this.#want = 0; return; }
    // Doubling, so a task that gets two items quickly and then works for a minute holds one or two, not a batch.
    const span = Math.floor(READ_AHEAD_SPAN_MS / Math.max(gap, 0.001));
    this.#want = Math.min(READ_AHEAD_MAX, span, Math.max(2, this.#want * 2));
  }

  /** Serves waiters from the buffer, in order; asks the hub for the rest. */
  #pump(): void {
    for (;;) {
      const w = this.#waiters[0];
      if (!w) break;
      if (w.done) { this.#waiters.shift(); continue; }
      if (this.#items.length === 0) break;
      this.#waiters.shift();
      this.#hand(w, this.#items.shift());
    }
    if (this.#filling) return; // its answer pumps again
    for (const w of this.#waiters) if (!w.done && !w.asked) this.#ask(w);
  }

  /** After a take: asks for more before the buffer runs dry (only then, so an unanswered fill is never repeated in a loop). */
  #refill(): void {
    if (this.#filling || this.#waiters.length > 0 || this.#want === 0 || this.#slot === undefined) return;
    if (this.#items.length <= this.#want / 2) this.#fill();
  }

  /** Gives `item` to user code: recorded as taken first, so if this worker dies from here on, it was delivered. */
  #hand(w: Waiter, item: unknown): void {
    w.done = true;
    let value: unknown;
    try {
      value = this.#take(item);
    } catch (err) {
      return w.reject(err);
    }
    w.resolve(value);
    this.#refill();
  }

  /** Records `item` as taken (before user code can see it) and decodes it. */
  #take(item: unknown): unknown {
    if (this.#slot !== undefined) this.#log!.record(this.#slot, this.recorded = ++this.#taken);
    if (this.#joinable) this.#hold(this.#slot !== undefined ? this.#taken - 1 : -1);
    this.#handedAt = performance.now();
    return decodeValue(item);
  }

  /** The running task's code took item `n` (see `#held`). */
  #hold(n: number): void {
    const task = runningTask();
    const mine = this.#held.get(task);
    if (mine) mine.push(n);
    else this.#held.set(task, [n]);
    let held = heldBy.get(task);
    if (!held) heldBy.set(task, (held = new Set()));
    held.add(this);
  }

  /**
   * `taskDone()` in this worker: the number of the item it settles, the
   * oldest its task holds; null when the task holds none (the hub then
   * settles an item whose task has ended, or another's: queue-owed.ts).
   */
  settle(): number | null {
    const task = runningTask();
    const mine = this.#held.get(task);
    if (!mine) return null;
    const n = mine.shift()!;
    if (mine.length === 0) {
      this.#held.delete(task);
      const held = heldBy.get(task);
      held?.delete(this);
      if (held?.size === 0) heldBy.delete(task);
    }
    return n;
  }

  /** Task `id` ended: the items it holds are no longer this worker's to account for. */
  release(id: number): number[] {
    const mine = this.#held.get(id) ?? [];
    this.#held.delete(id);
    return mine;
  }

  #fail(w: Waiter, err: unknown): void {
    w.done = true;
    w.reject(err);
  }

  #ask(w: Waiter): void {
    w.asked = true;
    const want = this.#log ? this.#want : 0;
    request(this.o, this.#log ? 'take' : 'get', this.#log ? [w.timeout, want, this.#taken] : [w.timeout], w.signal).then(
      (v) => {
        if (this.#log) this.#receive(v as Answer, w);
        else if (w.done) this.#items.push(v); // cannot happen: one waiter, one plain get
        else this.#hand(w, v);
        this.#pump();
      },
      (err: unknown) => {
        if (!w.done) this.#fail(w, err);
        this.#pump();
      });
  }

  #fill(): void {
    const filling = (this.#filling = new AbortController());
    request(this.o, 'fill', [this.#want, this.#taken], filling.signal).then(
      (v) => { this.#filling = undefined; this.#receive(v as Answer, undefined); this.#pump(); },
      () => { this.#filling = undefined; this.#pump(); });
  }

  #receive(v: Answer, asker: Waiter | undefined): void {
    const items = Array.isArray(v?.l) ? v.l : [];
    if (typeof v?.s !== 'number') {
      // An empty answer changes nothing (the slot of a Queue never changes for a live worker).
      if (items.length === 0) return;
      // The hub keeps no take log for this worker: the item was acknowledged on arrival.
      this.#slot = undefined;
      if (asker && !asker.done && items.length > 0) return this.#handUnlogged(asker, items);
    } else {
      this.#slot = v.s;
    }
    for (const x of items) this.#items.push(x);
  }

  #handUnlogged(w: Waiter, items: unknown[]): void {
    w.done = true;
    if (this.#joinable) this.#hold(-1);
    this.#handedAt = performance.now();
    try { w.resolve(decodeValue(items[0])); } catch (err) { w.reject(err); }
    for (const x of items.slice(1)) this.#items.push(x);
  }

  /** The hub wants back what was lent before item number `rc`: everything in the buffer now. */
  #notice(v: unknown): void {
    const upTo = (v as { rc?: unknown } | null)?.rc;
    // Always answered: the hub serves nobody until every reclaim is.
    if (typeof upTo !== 'number') return;
    const taken = this.#taken;
    this.#items.drain();
    // The dropped items keep their numbers: later items are numbered from upTo
    // on. The log is not rewritten here: until `reclaimed` reaches the hub,
    // the hub must still read the true count if this worker dies.
    this.#taken = Math.max(taken, upTo);
    // Slow down: another consumer wants items too.
    this.#want = 0;
    post(this.o, 'reclaimed', [taken]).catch(() => { /* a number always copies */ });
  }
}

/** @internal For tests and debugging: items of `queue` lent to this worker and not taken yet. */
export function readAheadOf(queue: object): number {
  const o = (queue as Partial<Shareable>)[HANDLE]?.().id;
  return o === undefined ? 0 : (feeds.get(o)?.buffered ?? 0);
}
