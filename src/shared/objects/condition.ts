/**
 * Condition (Python's `Condition`): a lock plus wait/notify. Its lock is a
 * plain Lock, not Python's default RLock (see state/condition.ts for why).
 */
import { checkInt, signalOf, timeoutOf, type WaitOptions } from '../options.js';
import { SharedObject, type Ref } from './ref.js';
import { hold, type LockHold } from './hold.js';
import { invalidArg, show } from '../../errors.js';

export class Condition extends SharedObject {
  /** @internal Use `manager.condition()`. */
  constructor(ref: Ref) { super(ref); }

  async acquire(options?: WaitOptions): Promise<boolean> {
    return await this.waiting('acquire', 'Condition.acquire()', options) as boolean;
  }
  async release(): Promise<void> { await this.op('release'); }
  /** True while someone holds the Condition's lock. */
  async locked(): Promise<boolean> { return await this.op('locked') as boolean; }
  /** The lock until the hold is disposed; `acquire`'s options, AcquireTimeoutError past `timeout`. */
  hold(options?: WaitOptions): Promise<LockHold> {
    return hold((o) => this.acquire(o), () => this.release(), options, 'Condition.hold()');
  }

  /**
   * Releases the lock, waits for `notify` (or the timeout), and takes the lock
   * back before resolving: `true` when notified, `false` on timeout.
   * The caller must hold the lock.
   */
  async wait(options?: WaitOptions): Promise<boolean> {
    return await this.waiting('wait', 'Condition.wait()', options) as boolean;
  }

  /**
   * Waits until `predicate()` is truthy, re-checking after each notify; returns
   * its last result (falsy when the timeout ran out). The caller must hold the lock.
   */
  async waitFor<R>(predicate: () => R | Promise<R>, options?: WaitOptions): Promise<R> {
    if (typeof predicate !== 'function') {
      throw invalidArg(TypeError, `Expected the predicate of Condition.waitFor() to be a function, got ${show(predicate)}`);
    }
    const timeout = timeoutOf(options, 'Condition.waitFor()');
    const signal = signalOf(options, 'Condition.waitFor()');
    const end = timeout === undefined ? undefined : performance.now() + timeout;
    let result = await predicate();
    while (!result) {
      const left = end === undefined ? undefined : Math.max(0, end - performance.now());
      if (left === 0) break;
      await this.wait({ timeout: left, signal });
      result = await predicate();
    }
    return result;
  }

  /** Wakes up to `n` waiters (default 1). The caller must hold the lock. */
  async notify(n = 1): Promise<void> { await this.op('notify', checkInt(n, 'n', 'Condition.notify()', 0)); }
  /** Wakes every waiter. The caller must hold the lock. */
  async notifyAll(): Promise<void> { await this.op('notifyAll'); }
}
