/**
 * Queue and JoinableQueue: safe for many producers and many consumers, in
 * workers and in the main process. Created in the main process (`new Queue()`)
 * and passed to tasks as arguments; in a worker they arrive as proxies.
 *
 * An item put is never lost and never delivered twice, even when the worker
 * that put it or is about to get it is killed (see state/queue.ts).
 */
import { QueueClosedError } from '../errors.js';
import { invalidArg } from '../../errors.js';
import { standaloneToken } from '../hub/collect.js';
import { checkInt, checkOptionKeys, signalOf, timeoutOf, type WaitOptions } from '../options.js';
import { feedOf, settleOne } from './queue-feed.js';
import { requestJoined } from './worker-link.js';
import { encodeValue } from '../codec.js';
import { SharedObject, adopt, createLocal, takeAdopted, type Ref } from './ref.js';
import { QueueState } from '../state/queue.js';

export interface QueueOptions {
  /**
   * Most items the queue holds; `put` waits (or fails past its timeout) while
   * it is full. `0` means unbounded, as in Python.
   * @default 0
   * @example new Queue<Job>({ maxsize: 100 }) // producers wait for consumers
   */
  maxsize?: number;
}

export class Queue<T = unknown> extends SharedObject {
  /** Whether instances count unfinished items for `taskDone()`/`join()`. */
  protected static readonly joinable: boolean = false;

  constructor(options?: QueueOptions) {
    super(takeAdopted() ?? Queue.#create(options, (new.target as typeof Queue).joinable));
  }

  static #create(options: QueueOptions | undefined, joinable: boolean): Ref {
    const name = joinable ? 'JoinableQueue' : 'Queue';
    checkOptionKeys(options, `new ${name}()`, ['maxsize']);
    // 0 is unbounded, as in Python.
    const maxsize = checkInt(options?.maxsize ?? 0, 'maxsize', `new ${name}()`, 0);
    return createLocal(joinable ? 'joinable' : 'queue', `A ${name}`,
      (id) => new QueueState(id, maxsize, joinable), { maxsize }, standaloneToken);
  }

  /** A JoinableQueue (its worker side reports what each task took: queue-feed.ts). */
  get #joinable(): boolean { return (this.constructor as typeof Queue).joinable; }

  /** The `maxsize` it was created with (0: unbounded). */
  get maxsize(): number { return this.info.maxsize as number; }

  /**
   * Adds `item`, waiting while the queue is full. Past `timeout` rejects with
   * QueueFullError; on a closed queue rejects with QueueClosedError.
   */
  async put(item: T, options?: WaitOptions): Promise<void> {
    // A worker's consecutive puts on an unbounded queue (which never waits)
    // travel as one request: the hub applies them in order, all at once.
    if (this.remote && this.maxsize === 0 && signalOf(options, 'Queue.put()') === undefined) {
      timeoutOf(options, 'Queue.put()');
      await requestJoined(this.objectId, 'puts', 'put', encodeValue(item).value);
      return;
    }
    await this.waiting('put', 'Queue.put()', options, item);
  }

  /**
   * Takes the oldest item, waiting while the queue is empty. Past `timeout`
   * rejects with QueueEmptyError; once the queue is closed and empty, with QueueClosedError.
   */
  get(options?: WaitOptions): Promise<T> {
    return this.remote ? this.#feedGet(options) : this.#hubGet(options);
  }

  async #hubGet(options: WaitOptions | undefined): Promise<T> {
    return await this.waiting('get', 'Queue.get()', options) as T;
  }

  /** In a worker, gets go through the Queue's feed, which may read ahead (see queue-feed.ts); not async, as it is one promise per item. */
  #feedGet(options: WaitOptions | undefined): Promise<T> {
    try {
      const signal = signalOf(options, 'Queue.get()');
      return feedOf(this.objectId, this.#joinable).get(timeoutOf(options, 'Queue.get()'), signal) as Promise<T>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `put` that never waits: QueueFullError at once when full. */
  async putNowait(item: T): Promise<void> { await this.op('put', item, 0); }
  /** `get` that never waits: QueueEmptyError at once when empty. */
  async getNowait(): Promise<T> {
    if (this.remote) return await feedOf(this.objectId, this.#joinable).get(0, undefined) as T;
    return await this.op('get', 0) as T;
  }

  /** Items in the queue now (a snapshot: others may change it right after). */
  async qsize(): Promise<number> { return await this.op('qsize') as number; }
  async empty(): Promise<boolean> { return await this.op('empty') as boolean; }
  async full(): Promise<boolean> { return await this.op('full') as boolean; }

  /**
   * Closes the queue for everyone: later `put`s reject, getters drain what is
   * left, then get QueueClosedError (and async iteration ends).
   */
  async close(): Promise<void> { await this.op('close'); }
  async closed(): Promise<boolean> { return await this.op('closed') as boolean; }

  /** Yields items until the queue is closed and empty. */
  async *[Symbol.asyncIterator](): AsyncGenerator<T, void, undefined> {
    for (;;) {
      try {
        yield await this.get();
      } catch (err) {
        if (err instanceof QueueClosedError) return;
        throw err;
      }
    }
  }
}

/** A Queue that also counts unfinished items: consumers call `taskDone()`, `join()` waits for all. */
export class JoinableQueue<T = unknown> extends Queue<T> {
  protected static override readonly joinable: boolean = true;

  /** Marks one item taken with `get` as processed. InvalidStateError when called more often than items were put. */
  async taskDone(): Promise<void> {
    // In a worker: the item it settles is the oldest one this task took (null: it holds none).
    if (this.remote) await this.op('taskDone', settleOne(this.objectId));
    else await this.op('taskDone');
  }
  /** Resolves once every item put has been marked done (Python's `join()` has no timeout; `signal` stops waiting). */
  async join(options?: Pick<WaitOptions, 'signal'>): Promise<void> {
    // Checked, not ignored: a join given a timeout it would not keep waits forever.
    if ((options as WaitOptions | undefined)?.timeout !== undefined) {
      throw invalidArg(TypeError, 'JoinableQueue.join() takes no `timeout` (nor does Python\'s); to stop waiting, pass { signal: AbortSignal.timeout(ms) }');
    }
    await this.waiting('join', 'JoinableQueue.join()', options);
  }
}
