/**
 * Adapters between the lazy calls' iterators (pool/imap.ts, journal/journaled.ts)
 * and what the Pool methods return.
 */
import type { CallLease } from '../engine/engine.js';
import type { SettledItem } from './imap.js';

/** Gives the lease back however the iterator ends (done, thrown, or left early). */
export function releasing<T>(source: AsyncIterableIterator<T>, lease: CallLease): AsyncIterableIterator<T> {
  return {
    async next() {
      try {
        const r = await source.next();
        if (r.done) lease.release();
        return r;
      } catch (err) {
        lease.release();
        throw err;
      }
    },
    async return(value?: unknown) {
      lease.release();
      return (await source.return?.(value)) ?? { done: true, value: undefined };
    },
    [Symbol.asyncIterator]() { return this; },
  };
}

/** Turns settled items into values, throwing at the first failure. */
export function unwrap(source: AsyncIterableIterator<SettledItem>): AsyncIterableIterator<unknown> {
  return {
    async next() {
      const r = await source.next();
      if (r.done) return r;
      if (!r.value.ok) {
        await source.return?.();
        throw r.value.error;
      }
      return { done: false, value: r.value.value };
    },
    return: () => source.return!() as Promise<IteratorResult<unknown>>,
    [Symbol.asyncIterator]() { return this; },
  };
}
