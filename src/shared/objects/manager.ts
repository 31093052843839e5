/**
 * Manager: the owner of shared lists, dicts, values and synchronisation
 * primitives. Unlike Python's, it starts no server process: the objects live
 * in the main process's hub, and workers reach them over the pool's own
 * channel. `shutdown()` (or `await using`) destroys them: waiters everywhere
 * fail with ManagerShutdownError, and so does every later call.
 */
import { unwatchManager, watchManager } from '../hub/collect.js';
import { ManagerShutdownError } from '../errors.js';
import * as hub from '../hub/hub.js';
import { inWorker } from './worker-link.js';
import { DataCloneError, InvalidStateError, invalidArg, show } from '../../errors.js';
import { checkInt, dictEntriesOf, itemsOf } from '../options.js';
import { encodeValue, markActive, UNSENDABLE } from '../codec.js';
import { createLocal, type Ref } from './ref.js';
import type { Info, Kind } from '../codec.js';
import type { HubObject } from '../hub/reply.js';
import { SharedList } from './list.js';
import { SharedDict } from './dict.js';
import { SharedValue } from './value.js';
import { Lock, RLock, Semaphore } from './locks.js';
import { Event } from './event.js';
import { Barrier } from './barrier.js';
import { Condition } from './condition.js';
import { ListState } from '../state/list.js';
import { DictState } from '../state/dict.js';
import { ValueState } from '../state/value.js';
import { LockState } from '../state/lock.js';
import { SemaphoreState } from '../state/semaphore.js';
import { EventState } from '../state/event.js';
import { BarrierState } from '../state/barrier.js';
import { ConditionState } from '../state/condition.js';

export class Manager implements AsyncDisposable {
  readonly #ids = new Set<number>();
  #shutDown = false;

  /** Takes no arguments: a Manager has no options. */
  constructor(...args: []) {
    // Any argument is a mistake (Python's Manager() takes an address and an
    // authkey, which mean nothing here): refused rather than ignored.
    const given = (args as unknown[]).findIndex((a) => a !== undefined);
    if (given >= 0) {
      const a = (args as unknown[])[given];
      throw invalidArg(TypeError, a !== null && typeof a === 'object'
        ? `new Manager() takes no options, got ${show(a)}`
        : `new Manager() takes no arguments, got ${show(a)}`);
    }
    if (inWorker()) {
      throw new InvalidStateError('A Manager must be created in the main process and its objects passed to tasks as arguments; it was created inside a worker');
    }
    watchManager(this, this.#ids);
    // From here task arguments are walked for shared objects, so a Manager
    // among them is refused (see [UNSENDABLE]) even before any object exists.
    markActive();
  }

  /** A Manager cannot be a task argument: its objects can. */
  get [UNSENDABLE](): string {
    return 'a Manager cannot be passed to a task or put in a shared object (it would arrive as an empty object); pass the shared objects it made (manager.list(), manager.lock()...) instead';
  }

  /**
   * A new SharedList, empty or holding copies of `items` (Python's `manager.list(sequence)`).
   * @example const seen = manager.list<string>(['a', 'b'])
   */
  list<T = unknown>(items?: Iterable<T>): SharedList<T> {
    let copies: unknown[] | undefined;
    if (items !== undefined) copies = copied(itemsOf(items, 'manager.list()'), 'manager.list()');
    return new SharedList<T>(this.#create('list', 'list', (id) => new ListState(id, copies)));
  }
  /**
   * A new SharedDict with string keys, empty or holding copies of `source`'s
   * entries: an object, a Map or [key, value] pairs (Python's `manager.dict(mapping)`).
   * @example const counts = manager.dict<number>({ ok: 0, failed: 0 })
   */
  dict<V = unknown>(source?: Record<string, V> | Map<string, V> | Iterable<readonly [string, V]>): SharedDict<V> {
    let entries: Array<[string, unknown]> | undefined;
    if (source !== undefined) {
      const list = dictEntriesOf(source, 'manager.dict()');
      entries = copied(list, 'manager.dict()') as Array<[string, unknown]>;
    }
    return new SharedDict<V>(this.#create('dict', 'dict', (id) => new DictState(id, entries)));
  }
  /** A SharedValue holding a copy of `initial`. */
  value<T>(initial: T): SharedValue<T> {
    let copy: T;
    // Refused as every other copy is (DataCloneError, with its code), not as the DOMException structuredClone throws.
    try { copy = structuredClone(initial); } catch (err) { throw new DataCloneError('the initial value of manager.value()', err); }
    return new SharedValue<T>(this.#create('value', 'value', (id) => new ValueState(id, copy)));
  }
  lock(): Lock { return new Lock(this.#create('lock', 'lock', (id) => new LockState(`Lock #${id}`, false))); }
  rlock(): RLock { return new RLock(this.#create('rlock', 'rlock', (id) => new LockState(`RLock #${id}`, true))); }
  /** A Semaphore with `n` permits (default 1). */
  semaphore(n = 1): Semaphore {
    const permits = checkInt(n, 'n', 'manager.semaphore()', 0);
    return new Semaphore(this.#create('semaphore', 'semaphore', (id) => new SemaphoreState(id, permits)));
  }
  event(): Event { return new Event(this.#create('event', 'event', (id) => new EventState(id))); }
  /** A Barrier for `parties` callers. */
  barrier(parties: number): Barrier {
    const n = checkInt(parties, 'parties', 'manager.barrier()', 1);
    return new Barrier(this.#create('barrier', 'barrier', (id) => new BarrierState(id, n), { parties: n }));
  }
  condition(): Condition { return new Condition(this.#create('condition', 'condition', (id) => new ConditionState(id))); }

  /** Destroys every object of this Manager. Safe to call twice. */
  async shutdown(): Promise<void> {
    if (this.#shutDown) return;
    this.#shutDown = true;
    unwatchManager(this);
    for (const id of this.#ids) hub.unregister(id, 'belongs to a Manager that was shut down');
    this.#ids.clear();
  }

  async [Symbol.asyncDispose](): Promise<void> { await this.shutdown(); }

  #create(kind: Kind, method: string, make: (id: number) => HubObject, info: Info = {}): Ref {
    if (this.#shutDown) throw new ManagerShutdownError(`Cannot call manager.${method}(): the Manager was shut down`);
    const ref = createLocal(kind, `manager.${method}()`, make, info, () => this);
    this.#ids.add(ref.id);
    return ref;
  }
}

/** Copies `items` as an append would (shared objects inside become handles); DataCloneError names `what`. */
function copied(items: unknown[], what: string): unknown[] {
  try {
    return structuredClone(encodeValue(items).value) as unknown[];
  } catch (err) {
    throw new DataCloneError(`the initial contents of ${what}`, err);
  }
}
