/**
 * The state behind Lock and RLock, and the lock inside a Condition.
 *
 * Ownership is by process (`main` or a worker id): in a worker that runs one
 * task at a time, that is the task; one that runs several at once
 * (`concurrentTasksPerWorker`) names the calling task, which then owns it
 * (`Reply.holder`). The main process has no threads to tell apart, so an
 * RLock there is reentrant for all its async code.
 *
 * A holder that dies is handled like a robust mutex: the lock passes to the
 * next waiter, who is told (LockHolderDiedError, with the lock held) so it can
 * check the data the lock protected. Python leaves such a lock held forever.
 */
import { InvalidStateError } from '../../errors.js';
import { LockHolderDiedError } from '../errors.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { checkTimeout, unknownOp } from '../options.js';
import { Waiters } from '../hub/waiters.js';

/**
 * A parked acquirer: `caller` is its process (dropped if it exits), `holder`
 * who will own the lock (see Reply.holder). `grant` runs when it gets the
 * lock; `died` names a holder that died before.
 */
export interface LockWaiter {
  readonly caller: string;
  readonly holder: string;
  grant(died: string | undefined): void;
}

export class LockState implements HubObject {
  readonly label: string;
  /** Who holds it (a Reply's `holder`), and that holder's process. */
  #owner: string | undefined;
  #ownerPeer: string | undefined;
  #count = 0;
  /** Set when a holder died and nobody has been told yet. */
  #diedHolder: string | undefined;
  readonly #waiters = new Waiters<LockWaiter & { fail(e: Error): void }>();

  readonly #reentrant: boolean;

  constructor(label: string, reentrant: boolean) {
    this.label = label;
    this.#reentrant = reentrant;
  }

  get owner(): string | undefined { return this.#owner; }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'acquire': return this.acquire(reply, checkTimeout(a[0], `${this.label}.acquire()`));
      case 'release': this.release(reply.holder); return reply.ok(undefined);
      case 'locked': return reply.ok(this.#owner !== undefined);
      default: unknownOp(this.label, op);
    }
  }

  acquire(reply: Reply, timeout: number | undefined): void {
    this.enqueue({
      caller: reply.caller,
      holder: reply.holder,
      grant: (died) => (died ? reply.fail(this.#diedError(died)) : reply.ok(true)),
      fail: (e) => reply.fail(e),
    }, timeout, () => reply.ok(false), reply);
  }

  /**
   * Grants now if possible, else parks `w` (for at most `timeout` ms, then
   * `onTimeout`; withdrawn if `reply`'s caller cancels).
   */
  enqueue(w: LockWaiter & { fail(e: Error): void }, timeout: number | undefined, onTimeout: () => void, reply?: Reply): void {
    if (this.#owner === undefined) return this.#grant(w);
    if (this.#reentrant && this.#owner === w.holder) {
      this.#count++;
      return w.grant(undefined);
    }
    if (timeout === 0) return onTimeout();
    this.#waiters.add(w, timeout, onTimeout, reply);
  }

  /** `holder`: who releases it (a Reply's `holder`). */
  release(holder: string): void {
    if (this.#owner === undefined) {
      throw new InvalidStateError(`release() of ${this.label}, which is not held`);
    }
    // A plain Lock may be released by anyone (as in Python); an RLock only by its owner.
    if (this.#reentrant && this.#owner !== holder) {
      throw new InvalidStateError(`release() of ${this.label} by ${holder}, but it is held by ${this.#owner}`);
    }
    if (--this.#count > 0) return;
    this.#handOff();
  }

  /** Releases completely, whoever holds it (Condition.wait, after checking the caller holds it). */
  releaseAll(): void {
    this.#count = 0;
    this.#handOff();
  }

  #handOff(): void {
    this.#owner = this.#ownerPeer = undefined;
    const next = this.#waiters.shift();
    if (next) this.#grant(next);
  }

  #grant(w: LockWaiter): void {
    this.#owner = w.holder;
    this.#ownerPeer = w.caller;
    this.#count = 1;
    const died = this.#diedHolder;
    this.#diedHolder = undefined;
    w.grant(died);
  }

  #diedError(died: string): LockHolderDiedError {
    return new LockHolderDiedError(
      `${this.label} was acquired, but its previous holder (worker ${died}) died while holding it; ` +
      'you hold the lock now: check the data it protects, then release() it', died);
  }

  peerGone(caller: string): void {
    this.#waiters.dropCaller(caller);
    if (this.#ownerPeer === caller) {
      this.#diedHolder = caller;
      this.#count = 0;
      this.#handOff();
    }
  }

  dispose(error: Error): void {
    for (const w of this.#waiters.drain()) w.fail(error);
  }
}
