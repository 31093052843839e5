/**
 * The state behind a Semaphore. Python's Semaphore has no owner; we still
 * count what each worker holds, so permits held by a worker that dies come
 * back instead of being lost for good.
 */
import { checkTimeout, checkInt, unknownOp } from '../options.js';
import type { HubObject, Reply } from '../hub/reply.js';
import { Waiters } from '../hub/waiters.js';

export class SemaphoreState implements HubObject {
  readonly label: string;
  #value: number;
  readonly #held = new Map<string, number>();
  readonly #waiters = new Waiters<Reply>();

  constructor(id: number, value: number) {
    this.label = `Semaphore #${id}`;
    this.#value = value;
  }

  call(op: string, a: unknown[], reply: Reply): void {
    switch (op) {
      case 'acquire': {
        const timeout = checkTimeout(a[0], `${this.label}.acquire()`);
        if (this.#value > 0 && this.#waiters.length === 0) return this.#take(reply);
        if (timeout === 0) return reply.ok(false);
        return this.#waiters.add(reply, timeout, (r) => r.ok(false), reply);
      }
      case 'release': {
        const n = a[0] === undefined ? 1 : checkInt(a[0], 'n', `${this.label}.release()`, 1);
        const mine = this.#held.get(reply.caller) ?? 0;
        this.#setHeld(reply.caller, Math.max(0, mine - n));
        this.#value += n;
        this.#wake();
        return reply.ok(undefined);
      }
      case 'value': return reply.ok(this.#value);
      default: unknownOp(this.label, op);
    }
  }

  #take(reply: Reply): void {
    this.#value--;
    this.#setHeld(reply.caller, (this.#held.get(reply.caller) ?? 0) + 1);
    reply.ok(true);
  }

  #setHeld(caller: string, n: number): void {
    if (n === 0) this.#held.delete(caller);
    else this.#held.set(caller, n);
  }

  #wake(): void {
    while (this.#value > 0) {
      const w = this.#waiters.shift();
      if (!w) return;
      this.#take(w);
    }
  }

  peerGone(caller: string): void {
    this.#waiters.dropCaller(caller);
    const held = this.#held.get(caller) ?? 0;
    this.#held.delete(caller);
    this.#value += held;
    this.#wake();
  }

  dispose(error: Error): void {
    for (const w of this.#waiters.drain()) w.fail(error);
  }
}
