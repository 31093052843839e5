/**
 * Options of the blocking calls, and every argument check of the shared
 * objects. Checks run where the user calls (main process or worker), so a bad
 * value fails at the call with a message naming it, and again in the hub
 * (`state/`), which must never trust what a worker sent: a proxy from another
 * forkpool version, a bug. The same functions serve both sides.
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

/**
 * An options argument of a constructor (`new Queue({ maxsize })`, `Pipe({ duplex })`):
 * undefined, or an object with only `known` keys. A typo (`maxSize`) would
 * otherwise be a silent default: an unbounded queue, a duplex pipe.
 */
export function checkOptionKeys(options: unknown, what: string, known: readonly string[]): void {
  if (options === undefined) return;
  if (options === null || typeof options !== 'object') {
    throw invalidArg(TypeError, `Expected the options of ${what} to be an object like { ${known[0]}: ... }, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw invalidArg(TypeError, `Unknown option \`${key}\` of ${what} (known options: ${known.join(', ')})`);
  }
}

const WAIT_KEYS = ['timeout', 'signal'] as const;

/** The items of `what` as an array; a value that is not iterable is a TypeError (`Array.from(5)` is silently `[]`). */
export function itemsOf<T>(items: Iterable<T>, what: string): T[] {
  if (items === null || typeof (items as Partial<Iterable<T>> | undefined)?.[Symbol.iterator] !== 'function') {
    throw invalidArg(TypeError, `Expected the items of ${what} to be an iterable, got ${show(items)}`);
  }
  return Array.from(items);
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

/**
 * Reads `{ timeout }` from an options argument that may be missing. Every
 * waiting call reads its options here, so this is also where an unknown key
 * is refused: `get({ timeot: 100 })` would otherwise wait forever.
 */
export function timeoutOf(options: WaitOptions | undefined, what: string): number | undefined {
  if (options === undefined || options === null) return undefined;
  checkOptionKeys(options, what, WAIT_KEYS);
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

/**
 * An integer argument, at least `min` when given: `semaphore(n)`, `barrier(parties)`,
 * a list index, a Queue's `maxsize`. `what` names the call, e.g. `manager.barrier()`.
 */
export function checkInt(v: unknown, name: string, what: string, min?: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || (min !== undefined && v < min)) {
    const bound = min === undefined ? '' : ` of at least ${min}`;
    throw invalidArg(typeof v === 'number' ? RangeError : TypeError,
      `Expected \`${name}\` of ${what} to be an integer${bound}, got ${show(v)}`);
  }
  return v;
}

/** A SharedDict key: only strings, so keys mean the same in every process. */
export function checkKey(v: unknown, what: string): string {
  if (typeof v !== 'string') throw invalidArg(TypeError, `Expected the key of ${what} to be a string, got ${show(v)}`);
  return v;
}

/** Every hub object's answer to an operation it does not have (`constructor`, a typo, another version's op). */
export function unknownOp(label: string, op: string): never {
  throw invalidArg(TypeError, `${label} has no operation ${show(op)}`);
}
