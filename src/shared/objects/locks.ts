/**
 * Lock, RLock and Semaphore hosted by a Manager. Waiting and timeouts happen
 * in the main process, so "acquired" or "timed out" is decided in one place.
 *
 * A holder that dies releases its Lock/RLock: the next acquirer gets it and is
 * told, by `acquire()` rejecting with LockHolderDiedError while it holds the
 * lock (a robust mutex's EOWNERDEAD), or by `hold()`'s `previousHolderDied`.
 */
import { checkInt, type WaitOptions } from '../options.js';
import { SharedObject, type Ref } from './ref.js';
import { hold, type LockHold } from './hold.js';

abstract class LockBase extends SharedObject {
  protected abstract readonly kindName: string;

  /**
   * Waits for the lock; resolves `true` when acquired, `false` when `timeout` ran out.
   * Rejects with LockHolderDiedError, holding the lock, when its previous holder died.
   */
  async acquire(options?: WaitOptions): Promise<boolean> {
    return await this.waiting('acquire', `${this.kindName}.acquire()`, options) as boolean;
  }

  /** Releases the lock. Rejects with InvalidStateError when it is not held. */
  async release(): Promise<void> { await this.op('release'); }

  /** True while someone holds the lock. */
  async locked(): Promise<boolean> { return await this.op('locked') as boolean; }

  /**
   * Acquires and returns a hold that releases on dispose: `await using held = await lock.hold()`.
   * Takes `acquire`'s options; past `timeout` it rejects with AcquireTimeoutError, holding nothing.
   */
  hold(options?: WaitOptions): Promise<LockHold> {
    return hold((o) => this.acquire(o), () => this.release(), options, `${this.kindName}.hold()`);
  }
}

/** A mutual-exclusion lock (Python's `Lock`). Any process may release it. */
export class Lock extends LockBase {
  protected readonly kindName = 'Lock';
  /** @internal Use `manager.lock()`. */
  constructor(ref: Ref) { super(ref); }
}

/**
 * A reentrant lock (Python's `RLock`): its owner may acquire it again and must
 * release it as many times. The owner is the process: a worker (running one
 * task at a time) or the main process as a whole.
 */
export class RLock extends LockBase {
  protected readonly kindName = 'RLock';
  /** @internal Use `manager.rlock()`. */
  constructor(ref: Ref) { super(ref); }
}

/** A counting semaphore (Python's `Semaphore`). Permits held by a worker that dies come back. */
export class Semaphore extends SharedObject {
  /** @internal Use `manager.semaphore(n)`. */
  constructor(ref: Ref) { super(ref); }

  /** Takes a permit; `false` when `timeout` ran out first. */
  async acquire(options?: WaitOptions): Promise<boolean> {
    return await this.waiting('acquire', 'Semaphore.acquire()', options) as boolean;
  }

  /** Gives back `n` permits (default 1). */
  async release(n = 1): Promise<void> { await this.op('release', checkInt(n, 'n', 'Semaphore.release()', 1)); }

  /** Permits available now. */
  async value(): Promise<number> { return await this.op('value') as number; }

  /**
   * Takes a permit until the hold is disposed: `await using held = await sem.hold()`.
   * Takes `acquire`'s options; past `timeout` it rejects with AcquireTimeoutError, holding nothing.
   */
  hold(options?: WaitOptions): Promise<LockHold> {
    return hold((o) => this.acquire(o), () => this.release(), options, 'Semaphore.hold()');
  }
}
