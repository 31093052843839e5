/**
 * Options of the blocking calls, and their validation. Validation runs where
 * the user calls (main process or worker), so a bad value fails at the call
 * with a message naming it, and again in the hub, which must never trust what
 * a worker sent.
 */
import { invalidArg, show } from '../errors.js';

/** Options of every call that may wait (`acquire`, `get`, `put`, `wait`, `recv`...). */
export interface WaitOptions {
  /**
   * Milliseconds to wait at most. `0` does not wait at all. `undefined` or
   * `Infinity` waits forever (Python's `None`).
   * @default undefined
   * @example await lock.acquire({ timeout: 500 }) // false after 500 ms
   */
  timeout?: number | undefined;
  /**
   * Withdraws the wait when aborted; the call then rejects with `signal.reason`.
   * If the call completed first (the item was already taken, the lock already
   * granted), its result stands: nothing is lost. Pass `currentTask().signal`
   * so a cancelled task stops waiting.
   * @default undefined
   * @example await q.get({ signal: currentTask().signal })
   */
  signal?: AbortSignal | undefined;
}

/** Returns the timeout in ms, or `undefined` for "forever". Throws on anything that is not a non-negative number. */
export function checkTimeout(timeout: unknown, what: string): number | undefined {
  if (timeout === undefined || timeout === Infinity) return undefined;
  if (typeof timeout !== 'number' || Number.isNaN(timeout)) {
    throw invalidArg(TypeError, `Expected \`timeout\` of ${what} to be a number of milliseconds, got ${show(timeout)}`);
  }
  if (timeout < 0) {
    throw invalidArg(RangeError, `Expected \`timeout\` of ${what} to be 0 or more milliseconds, got ${timeout}`);
  }
  return timeout;
}

/** Reads `{ timeout }` from an options argument that may be missing. */
export function timeoutOf(options: WaitOptions | undefined, what: string): number | undefined {
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object') {
    throw invalidArg(TypeError, `Expected the options of ${what} to be an object like { timeout: 1000 }, got ${show(options)}`);
  }
  return checkTimeout(options.timeout, what);
}

/** Reads `{ signal }`; anything but an AbortSignal is a TypeError naming it. */
export function signalOf(options: WaitOptions | undefined, what: string): AbortSignal | undefined {
  const signal = options?.signal;
  if (signal === undefined) return undefined;
  if (!(signal instanceof AbortSignal)) {
    throw invalidArg(TypeError, `Expected \`signal\` of ${what} to be an AbortSignal, got ${show(signal)}`);
  }
  return signal;
}

/** A count such as `semaphore(n)` or `barrier(n)`. */
export function checkCount(n: unknown, name: string, min: number): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min) {
    throw invalidArg(typeof n === 'number' ? RangeError : TypeError, `Expected \`${name}\` to be an integer of at least ${min}, got ${show(n)}`);
  }
  return n;
}
