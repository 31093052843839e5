/**
 * The state behind Queue and JoinableQueue.
 *
 * An item is in exactly one place at any time: the buffer, a blocked putter
 * (not yet accepted), or on its way to one getter. Items on their way are
 * sent with `onLost`, so if the getter's worker dies before it acknowledges,
 * the item goes back to the front of the buffer: never lost, never delivered
 * twice. A putter's item is in the queue the moment its `put` is answered, so
 * the putter dying afterwards changes nothing.
 */
import { InvalidStateError, QueueEmptyError, QueueFullError } from '../../errors.js';
import { QueueClosedError } from '../errors.js';
import { Deque } from '../../util/deque.js';
import { checkTimeout, unknownOp } from '../options.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { Waiters } from '../hub/waiters.js';

interface Putter { readonly caller: string; item: unknown; reply: Reply }

export class QueueState implements HubObject {
  readonly label: string;
  readonly #maxsize: number;
  readonly #joinable: boolean;
  readonly #items = new Deque<unknown>();
  readonly #getters = new Waiters<Reply>();
  readonly #putters = new Waiters<Putter>();
  readonly #joiners = new Waiters<Reply>();
  #closed = false;
  /** JoinableQueue: items put and not yet marked done. */
  #unfinished = 0;

  constructor(id: number, maxsize: number, joinable: boolean) {
    this.label = `${joinable ? 'JoinableQueue' : 'Queue'} #${id}`;
    this.#maxsize = maxsize;
    this.#joinable = joinable;
  }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'put': return this.#put(a[0], checkTimeout(a[1], `${this.label}.put()`), reply);
      case 'get': return this.#get(checkTimeout(a[0], `${this.label}.get()`), reply);
      case 'qsize': return reply.ok(this.#items.length);
      case 'empty': return reply.ok(this.#items.length === 0);
      case 'full': return reply.ok(this.#full());
      case 'close': return this.#close(reply);
      case 'closed': return reply.ok(this.#closed);
      case 'taskDone': {
        if (!this.#joinable) unknownOp(this.label, op);
        if (this.#unfinished <= 0) throw new InvalidStateError(`taskDone() called on ${this.label} more times than items were put`);
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

  #full(): boolean { return this.#maxsize > 0 && this.#items.length >= this.#maxsize; }

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

  /** The item is in the queue from here on: straight to a waiting getter, or into the buffer. */
  #accept(item: unknown): void {
    if (this.#joinable) this.#unfinished++;
    const getter = this.#getters.shift();
    if (getter) this.#deliver(getter, item);
    else this.#items.push(item);
  }

  #get(timeout: number | undefined, reply: Reply): void {
    if (this.#items.length > 0) {
      const item = this.#items.shift();
      this.#admitPutters();
      return this.#deliver(reply, item);
    }
    if (this.#closed) throw new QueueClosedError(`get() on ${this.label}, which is closed and empty`);
    if (timeout === 0) throw new QueueEmptyError(`${this.label} is empty`);
    this.#getters.add(reply, timeout, (r) =>
      r.fail(new QueueEmptyError(`${this.label} stayed empty for the get() timeout of ${timeout} ms`)), reply);
  }

  #deliver(reply: Reply, item: unknown): void {
    reply.ok(item, () => this.#putBack(item));
  }

  /** An item whose getter died before receiving it: first in line again. */
  #putBack(item: unknown): void {
    const getter = this.#getters.shift();
    if (getter) this.#deliver(getter, item);
    else this.#items.unshift(item);
  }

  #admitPutters(): void {
    while (!this.#full()) {
      const p = this.#putters.shift();
      if (!p) return;
      this.#accept(p.item);
      p.reply.ok(undefined);
    }
  }

  #close(reply: Reply): void {
    this.#closed = true;
    // Getters can only be waiting when the buffer is empty: nothing more will come.
    const err = new QueueClosedError(`${this.label} was closed while waiting in get(), and it is empty`);
    for (const g of this.#getters.drain()) g.fail(err);
    const perr = new QueueClosedError(`${this.label} was closed while waiting in put(); the item was not added`);
    for (const p of this.#putters.drain()) p.reply.fail(perr);
    reply.ok(undefined);
  }

  peerGone(caller: string): void {
    this.#getters.dropCaller(caller);
    // A blocked put from a dead worker was never accepted: its caller never saw success.
    this.#putters.dropCaller(caller);
    this.#joiners.dropCaller(caller);
    this.#admitPutters();
  }

  idle(): boolean { return this.#closed && this.#items.length === 0; }

  dispose(error: Error): void {
    for (const g of this.#getters.drain()) g.fail(error);
    for (const p of this.#putters.drain()) p.reply.fail(error);
    for (const j of this.#joiners.drain()) j.fail(error);
    this.#items.drain();
  }
}
