/**
 * The state behind a Condition: a lock plus waiters that `notify` wakes. A
 * `wait` releases the lock and parks; when notified (or timed out) it queues
 * for the lock again and answers only once it holds it, all inside the hub,
 * so no notification can slip between "release" and "park".
 *
 * The lock is a plain (non-reentrant) Lock rather than Python's default RLock:
 * ownership here is per process (per task in a worker running several at
 * once: `Reply.holder`), and an RLock would let two async functions of the
 * main process hold it at once.
 */
import { InvalidStateError } from '../../errors.js';
import { LockHolderDiedError, WaitCancelledError } from '../errors.js';
import { checkTimeout, checkInt, unknownOp } from '../options.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { Waiters } from '../hub/waiters.js';
import { LockState } from './lock.js';

interface Sleeper { readonly caller: string; wake(notified: boolean): void; fail(e: Error): void }

export class ConditionState implements HubObject {
  readonly label: string;
  readonly #lock: LockState;
  readonly #sleepers = new Waiters<Sleeper>();

  constructor(id: number) {
    this.label = `Condition #${id}`;
    this.#lock = new LockState(this.label, false);
  }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'acquire': case 'release': case 'locked': return this.#lock.call(op, a, reply);
      case 'wait': return this.#wait(reply, checkTimeout(a[0], `${this.label}.wait()`));
      case 'notify': {
        this.#mustHold(reply.holder, 'notify');
        const n = a[0] === undefined ? 1 : checkInt(a[0], 'n', `${this.label}.notify()`, 0);
        for (let i = 0; i < n; i++) this.#sleepers.shift()?.wake(true);
        return reply.ok(undefined);
      }
      case 'notifyAll':
        this.#mustHold(reply.holder, 'notifyAll');
        for (const s of this.#sleepers.drain()) s.wake(true);
        return reply.ok(undefined);
      default: unknownOp(this.label, op);
    }
  }

  #wait(reply: Reply, timeout: number | undefined): void {
    this.#mustHold(reply.holder, 'wait');
    this.#lock.releaseAll();
    const sleeper: Sleeper = {
      caller: reply.caller,
      // Woken or timed out, the caller must hold the lock again before wait() returns.
      wake: (notified) => this.#lock.enqueue({
        caller: reply.caller,
        holder: reply.holder,
        grant: (died) => (died ? reply.fail(new LockHolderDiedError(
          `${this.label}: woke up holding the lock, but its previous holder (worker ${died}) died while holding it`, died)) : reply.ok(notified)),
        fail: (e) => reply.fail(e),
      }, undefined, () => {}),
      fail: (e) => reply.fail(e),
    };
    // Cancelled while asleep: still take the lock back before answering, so the
    // caller's `finally { release() }` stays right.
    this.#sleepers.add(sleeper, timeout, (s) => s.wake(false), reply, () => this.#lock.enqueue({
      caller: reply.caller,
      holder: reply.holder,
      grant: () => reply.fail(new WaitCancelledError('the wait was cancelled')),
      fail: (e) => reply.fail(e),
    }, undefined, () => {}));
  }

  #mustHold(holder: string, what: string): void {
    if (this.#lock.owner !== holder) {
      throw new InvalidStateError(`${what}() on ${this.label} needs its lock held by the caller; acquire() it first`);
    }
  }

  peerGone(caller: string): void {
    this.#sleepers.dropCaller(caller);
    this.#lock.peerGone(caller);
  }

  dispose(error: Error): void {
    for (const s of this.#sleepers.drain()) s.fail(error);
    this.#lock.dispose(error);
  }
}
