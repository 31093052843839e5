/**
 * The state behind Queue and JoinableQueue.
 *
 * An item is in exactly one place at any time: the buffer, a blocked putter
 * (not yet accepted), on its way to one getter, or lent to a worker that reads
 * ahead (`queue-leases.ts`). Items on their way are recoverable until the
 * getter's worker records or acknowledges them, so if that worker dies first,
 * they go back to the front of the buffer: never lost, never delivered twice.
 * A putter's item is in the queue the moment its `put` is answered, so the
 * putter dying afterwards changes nothing. A worker's put that waited on a
 * full queue is answered when room frees, and its item goes in when the
 * worker confirms that answer (its link confirms before its code sees it):
 * a worker that died while waiting never confirms, so its item is never
 * added, even before the pool has heard of the death. Its place is held
 * (`#admitting`) meanwhile, so the queue never passes its maxsize.
 *
 * A JoinableQueue also keeps the items a worker's running task took and has
 * not marked done (`queue-owed.ts`): if that worker dies, they go back to
 * the front, still unfinished (at least once; a plain Queue is at most once).
 *
 * Getters:
 *   get   the main process, or a worker without a take log: one item, acknowledged
 *   take  a worker's proxy: `{ l: items, s: slot }`, the first for the caller,
 *         the rest (read-ahead, unbounded queues only) for its next gets
 *   fill  read-ahead for a worker whose buffer runs low: items now, or
 *         parked until some arrive (a worker that consumes faster than its
 *         producers then gets each batch of puts pushed to it in the turn it
 *         arrives). A parked fill never stands in anyone's way: the first real
 *         getter that has to wait answers it with nothing.
 */
import { InvalidStateError, invalidArg, QueueEmptyError, QueueFullError } from '../../errors.js';
import { QueueClosedError } from '../errors.js';
import { Deque } from '../../util/deque.js';
import { checkInt, checkTimeout, unknownOp } from '../options.js';
import { MAIN, type HubObject, type Reply } from '../hub/reply.js';
import { Waiters } from '../hub/waiters.js';
import { Leases } from './queue-leases.js';
import { Owed } from './queue-owed.js';

/** Most items lent to one worker in one answer (its read-ahead asks for fewer when it consumes slowly). */
export const READ_AHEAD_MAX = 128;

interface Putter { readonly caller: string; item: unknown; reply: Reply }
interface Getter {
  readonly caller: string;
  readonly reply: Reply;
  /** A worker proxy (`take`): how many items it would take ahead. Undefined for a plain `get`. */
  readonly want: number | undefined;
  /** `timeout: 0` parked only while lent items are being reclaimed. */
  readonly nowait: boolean;
  /** A parked `fill`: takes what arrives, but yields to any real getter. */
  readonly filler?: boolean;
}

export class QueueState implements HubObject {
  readonly label: string;
  readonly #maxsize: number;
  readonly #joinable: boolean;
  readonly #items = new Deque<unknown>();
  readonly #getters = new Waiters<Getter>();
  readonly #putters = new Waiters<Putter>();
  readonly #joiners = new Waiters<Reply>();
  readonly #leases: Leases;
  #closed = false;
  /** JoinableQueue: items put and not yet marked done. */
  #unfinished = 0;
  /** JoinableQueue: the items each consumer took and has not marked done, put back if it dies (`queue-owed.ts`). */
  readonly #owed: Owed | undefined;
  /**
   * Who got the last item. Read-ahead goes only to a caller that got the
   * previous one too: with two consumers taking turns, lending to each would
   * only bounce items between them.
   */
  #lastTaker: string | undefined;
  /** A microtask will hand the buffer to parked fills (after the whole batch of puts that woke them). */
  #feeding = false;
  /** Blocked worker puts answered, whose items go in when their worker confirms (see the header). */
  #admitting = 0;
  #disposed = false;

  constructor(id: number, maxsize: number, joinable: boolean) {
    this.label = `${joinable ? 'JoinableQueue' : 'Queue'} #${id}`;
    this.#maxsize = maxsize;
    this.#joinable = joinable;
    this.#owed = joinable ? new Owed() : undefined;
    const owed = this.#owed;
    // A lent item the worker's code took is then owed, until its taskDone().
    this.#leases = new Leases(id, owed && ((key, items, firstN) => owed.took(key, items, firstN)));
  }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'put': return this.#put(a[0], checkTimeout(a[1], `${this.label}.put()`), reply);
      case 'puts': return this.#puts(a[0], reply);
      case 'get': return this.#get(checkTimeout(a[0], `${this.label}.get()`), reply, undefined);
      case 'take':
        this.#leases.taken(reply.caller, a[2]);
        return this.#get(checkTimeout(a[0], `${this.label}.get()`), reply, checkInt(a[1], 'want', `${this.label}.get()`, 0));
      case 'fill':
        this.#leases.taken(reply.caller, a[1]);
        return this.#fill(checkInt(a[0], 'want', `${this.label}.get()`, 0), reply);
      case 'reclaimed': {
        const back = this.#leases.reclaimed(reply.caller, a[0]);
        this.#returned(back);
        return reply.ok(undefined);
      }
      case 'qsize': return reply.ok(this.#size());
      case 'empty': return reply.ok(this.#size() === 0);
      case 'full': return reply.ok(this.#full());
      case 'close': return this.#close(reply);
      case 'closed': return reply.ok(this.#closed);
      case 'taskDone': {
        if (!this.#joinable) unknownOp(this.label, op);
        if (this.#unfinished <= 0) throw new InvalidStateError(`taskDone() called on ${this.label} more times than items were put`);
        // Which item this settles must be exact, or a death could later put
        // back an item already counted done. What workers' code took from
        // their read-ahead is only in their take logs, which the hub reads
        // when asked: the caller's now, everyone's if another's item may be
        // the one settled (queue-owed.ts says which).
        if (reply.caller !== MAIN) this.#leases.sync(reply.caller);
        // A worker names the item: its task's oldest (a lease number, -1 one acknowledged on arrival), or null: it holds none.
        const which = typeof a[0] === 'number' && Number.isInteger(a[0]) && a[0] >= -1 ? a[0] : a[0] === null ? null : undefined;
        this.#owed!.done(reply.caller, () => this.#leases.syncAll(), which);
        if (--this.#unfinished === 0) for (const j of this.#joiners.drain()) j.ok(undefined);
        return reply.ok(undefined);
      }
      case 'join': {
        if (!this.#joinable) unknownOp(this.label, op);
        if (this.#unfinished === 0) return reply.ok(undefined);
        return this.#joiners.add(reply, undefined, () => {}, reply);
      }
      default: unknownOp(this.label, op);
    }
  }

  /** Items in the queue: the buffer plus items lent to workers that have not taken them yet. */
  #size(): number { return this.#items.length + this.#leases.held(); }

  #full(): boolean { return this.#maxsize > 0 && this.#items.length + this.#admitting >= this.#maxsize; }

  #put(item: unknown, timeout: number | undefined, reply: Reply): void {
    if (this.#closed) throw new QueueClosedError(`put() on ${this.label}, which is closed`);
    if (!this.#full() && this.#putters.length === 0) {
      this.#accept(item);
      return reply.ok(undefined);
    }
    if (timeout === 0) throw new QueueFullError(`${this.label} is full (maxsize ${this.#maxsize})`);
    this.#putters.add({ caller: reply.caller, item, reply }, timeout, (p) =>
      p.reply.fail(new QueueFullError(`${this.label} stayed full (maxsize ${this.#maxsize}) for the put() timeout of ${timeout} ms`)), reply);
  }

  /** Consecutive puts of one worker's turn on an unbounded queue (which never waits): all in, in order, or none. */
  #puts(items: unknown, reply: Reply): void {
    if (!Array.isArray(items) || this.#maxsize > 0) throw invalidArg(TypeError, `${this.label}.puts() takes an array of items, on an unbounded queue only`);
    if (this.#closed) throw new QueueClosedError(`put() on ${this.label}, which is closed`);
    for (const item of items) this.#accept(item);
    reply.ok(undefined);
  }

  /** The item is in the queue from here on: straight to a waiting getter, or into the buffer. */
  #accept(item: unknown): void {
    if (this.#joinable) this.#unfinished++;
    const head = this.#getters.peek();
    // While lent items are coming back, a new item queues behind them.
    if (head && !head.filler && !this.#leases.reclaiming) {
      this.#deliver(this.#getters.shift()!, item);
      return;
    }
    this.#items.push(item);
    if (head && !this.#feeding) {
      this.#feeding = true;
      queueMicrotask(() => this.#feedFillers());
    }
  }

  #feedFillers(): void {
    this.#feeding = false;
    while (this.#items.length > 0 && this.#getters.peek()?.filler) this.#lendTo(this.#getters.shift()!);
  }

  /** Answers parked fills with nothing: a real getter is waiting, or the queue closed. */
  #releaseFillers(): void {
    for (const f of this.#getters.removeIf((g) => g.filler === true)) f.reply.ok({ l: [], s: this.#leases.slot(f.caller) });
  }

  #get(timeout: number | undefined, reply: Reply, want: number | undefined): void {
    const getter: Getter = { caller: reply.caller, reply, want, nowait: timeout === 0 };
    // Items lent to another worker and not taken are older than anything in
    // the buffer: they come back first (FIFO), and until then the queue is
    // neither empty nor closed-and-drained.
    const reclaiming = this.#leases.reclaim(reply.caller);
    if (!reclaiming && this.#items.length > 0) {
      const item = this.#items.shift();
      this.#deliver(getter, item);
      this.#admitPutters();
      return;
    }
    if (!reclaiming && this.#closed) throw new QueueClosedError(`get() on ${this.label}, which is closed and empty`);
    if (!reclaiming && timeout === 0) throw new QueueEmptyError(`${this.label} is empty`);
    this.#releaseFillers();
    this.#getters.add(getter, timeout === 0 ? undefined : timeout, (g) => g.reply.fail(this.#timedOut(timeout!)), reply);
  }

  /**
   * A get's timeout ran out. The queue may not be empty: items lent ahead to a
   * worker stay its until that worker answers the reclaim, which it does only
   * when its code yields to its event loop. Say so rather than "empty".
   */
  #timedOut(timeout: number): QueueEmptyError {
    const awaited = this.#leases.reclaiming ? this.#leases.awaited() : '';
    if (!awaited) return new QueueEmptyError(`${this.label} stayed empty for the get() timeout of ${timeout} ms`);
    return new QueueEmptyError(`${this.label} had no item to give within the get() timeout of ${timeout} ms: items ${awaited} were not given back in time (that worker's code has not yielded to its event loop since it read them; they are still queued)`);
  }

  /** Read-ahead: up to `want` items now; parked when there are none yet and nobody else waits. */
  #fill(want: number, reply: Reply): void {
    const slot = this.#leases.slot(reply.caller);
    const allowed = slot !== undefined && want > 0 && this.#maxsize === 0 && reply.caller === this.#lastTaker && !this.#closed;
    const filler: Getter = { caller: reply.caller, reply, want, nowait: false, filler: true };
    if (allowed && this.#items.length > 0 && this.#getters.length === 0) return this.#lendTo(filler);
    // Withdrawn by the worker (its code called get with a timeout) like any wait.
    if (allowed && this.#getters.length === 0) return this.#getters.add(filler, undefined, () => {}, reply);
    reply.ok({ l: [], s: slot });
  }

  /** How many buffered items `caller` may take ahead of its gets. */
  #readAhead(caller: string, want: number | undefined): number {
    if (!want || this.#maxsize > 0 || caller !== this.#lastTaker || this.#getters.length > 0) return 0;
    return Math.min(want, READ_AHEAD_MAX, this.#items.length);
  }

  /** Lends a fill up to its `want` of the buffer, and answers it. */
  #lendTo(g: Getter): void {
    const slot = this.#leases.slot(g.caller);
    // Gone since it asked: the items stay where they are.
    if (slot === undefined) return g.reply.ok({ l: [] });
    const n = Math.min(g.want ?? 0, READ_AHEAD_MAX, this.#items.length);
    const items: unknown[] = [];
    for (let i = 0; i < n; i++) items.push(this.#items.shift());
    // Kept here until the worker's take log says it took them.
    this.#leases.lend(g.caller, slot, items);
    this.#lastTaker = g.caller;
    g.reply.ok({ l: items, s: slot });
  }

  #deliver(getter: Getter, item: unknown): void {
    const { reply } = getter;
    // JoinableQueue: owed by the caller once it has the item (the main process's answer cannot be lost).
    const took = this.#owed && (() => this.#owed!.took(reply.caller, [item]));
    if (getter.want === undefined) {
      this.#lastTaker = reply.caller;
      if (reply.caller === MAIN) took?.();
      return reply.ok(item, () => this.#putBack(item), took);
    }
    const slot = this.#leases.slot(reply.caller);
    if (slot === undefined) {
      // No take log: one item, acknowledged by the worker's link before its code sees it.
      this.#lastTaker = reply.caller;
      return reply.ok({ l: [item] }, () => this.#putBack(item), took);
    }
    const n = this.#readAhead(reply.caller, getter.want);
    const items = [item];
    for (let i = 0; i < n; i++) items.push(this.#items.shift());
    // Kept here until the worker's take log says it took them.
    this.#leases.lend(reply.caller, slot, items);
    this.#lastTaker = reply.caller;
    reply.ok({ l: items, s: slot });
  }

  /** An item whose getter died before receiving it: first in line again. */
  #putBack(item: unknown): void {
    const getter = this.#getters.shift();
    if (getter) this.#deliver(getter, item);
    else this.#items.unshift(item);
  }

  /** Lent items came back (reclaimed, or their worker died): first in line, in order; then whoever waits is served. */
  #returned(back: readonly unknown[]): void {
    for (let i = back.length - 1; i >= 0; i--) this.#items.unshift(back[i]);
    // Serve nobody before every lent item is back, so they all keep their place.
    if (this.#leases.reclaiming) return;
    while (this.#items.length > 0 && this.#getters.length > 0) this.#deliver(this.#getters.shift()!, this.#items.shift());
    this.#admitPutters();
    if (this.#items.length > 0) return;
    // Every reclaim is answered and nothing is left: the waits that only waited for that end now.
    for (const g of this.#getters.removeIf((w) => w.nowait || this.#closed)) {
      g.reply.fail(this.#closed
        ? new QueueClosedError(`get() on ${this.label}, which is closed and empty`)
        : new QueueEmptyError(`${this.label} is empty`));
    }
  }

  #admitPutters(): void {
    while (!this.#full()) {
      const p = this.#putters.shift();
      if (!p) return;
      if (p.caller === MAIN) {
        this.#accept(p.item);
        p.reply.ok(undefined);
        continue;
      }
      this.#admitting++;
      p.reply.ok(undefined, () => {
        // Its worker died before the answer reached it: the item never goes in, and its place is free again.
        this.#admitting--;
        if (!this.#disposed) this.#admitPutters();
      }, () => {
        this.#admitting--;
        if (this.#disposed) return;
        this.#accept(p.item);
        // Straight to a waiting getter: its place is free for the next putter.
        this.#admitPutters();
      });
    }
  }

  #close(reply: Reply): void {
    this.#closed = true;
    this.#releaseFillers();
    // Getters can only be waiting when the buffer is empty: nothing more will
    // come, unless items lent to a worker come back first.
    if (this.#getters.length > 0 && !this.#leases.reclaim()) {
      const err = new QueueClosedError(`${this.label} was closed while waiting in get(), and it is empty`);
      for (const g of this.#getters.drain()) g.reply.fail(err);
    }
    const perr = new QueueClosedError(`${this.label} was closed while waiting in put(); the item was not added`);
    for (const p of this.#putters.drain()) p.reply.fail(perr);
    reply.ok(undefined);
  }

  /**
   * A task of worker `caller` ended (returned or threw), its code holding
   * the items numbered `held` (sent by the worker before its result; -1 for
   * one acknowledged on arrival), when the worker's take log counted `taken`
   * lent items in all: those items are no longer at risk, and its death
   * later puts none of them back. Items other tasks of that worker hold stay at risk.
   */
  taskEnded(caller: string, taken: number, held: readonly number[]): void {
    if (!this.#owed) return;
    this.#leases.taken(caller, taken);
    this.#owed.taskEnded(caller, held);
  }

  /** `died`: it crashed or was killed mid-work, not recycled, closed or terminated (only a death puts taken items back). */
  peerGone(caller: string, died: boolean): void {
    this.#getters.dropCaller(caller);
    // A blocked put from a dead worker was never accepted: its caller never saw success.
    this.#putters.dropCaller(caller);
    this.#joiners.dropCaller(caller);
    if (this.#lastTaker === caller) this.#lastTaker = undefined;
    // What it was lent and never took is still the queue's (its take log outlives it).
    const untaken = this.#leases.gone(caller);
    // JoinableQueue: what its code took and never marked done goes back too,
    // ahead of those (it was taken first), still unfinished: join() then
    // waits for another consumer to do the work, not for an item that is nowhere.
    const owed = this.#owed?.gone(caller, died) ?? [];
    this.#returned(owed.length > 0 ? [...owed, ...untaken] : untaken);
  }

  idle(): boolean { return this.#closed && this.#size() === 0 && !this.#leases.reclaiming; }

  dispose(error: Error): void {
    this.#disposed = true;
    this.#releaseFillers();
    for (const g of this.#getters.drain()) g.reply.fail(error);
    for (const p of this.#putters.drain()) p.reply.fail(error);
    for (const j of this.#joiners.drain()) j.fail(error);
    this.#items.drain();
    this.#leases.clear();
    this.#owed?.clear();
  }
}
