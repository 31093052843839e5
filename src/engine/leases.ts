/**
 * The leases of calls in progress (see CallLease), for either engine: a
 * closed pool still accepts a leased call's tasks, and join() waits until
 * every lease is released.
 */
import type { CallLease } from './engine.js';

export class CallLeases {
  readonly #open = new Set<CallLease>();

  /** `onReleased`: a lease was given back (join() may be done now). */
  constructor(private readonly onReleased: () => void) {}

  open(): CallLease {
    const lease: CallLease = {
      onDrain: undefined,
      onEnd: undefined,
      ended: undefined,
      release: () => {
        if (this.#open.delete(lease)) this.onReleased();
      },
    };
    this.#open.add(lease);
    return lease;
  }

  holds(lease: CallLease | undefined): boolean {
    return lease !== undefined && this.#open.has(lease);
  }

  get size(): number {
    return this.#open.size;
  }

  /** join() is waiting: every open call reads the rest of its input now. */
  drain(): void {
    for (const lease of [...this.#open]) lease.onDrain?.();
  }

  /** The engine ended (terminate(), or the pool broke): every open call stops reading and ends with `error`. */
  end(error: Error): void {
    for (const lease of [...this.#open]) {
      if (lease.ended) continue;
      lease.ended = error;
      lease.onEnd?.(error);
    }
  }
}
