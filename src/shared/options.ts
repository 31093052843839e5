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

/**
 * The entries of a SharedDict source, as `manager.dict(source)` and
 * `dict.update(source)` both take it: a plain object (or class instance), a
 * Map, or an iterable of [key, value] pairs with string keys. Both calls use
 * this one check, so what one refuses the other refuses too; before they
 * shared it, `update("ab")` stored `{ a: undefined, b: undefined }` and
 * `update(5)` or `update(new Date())` did nothing, silently.
 *
 * A non-iterable object is read as a record only when it is an ordinary
 * object: a Date, RegExp, Promise or boxed primitive has no entries of its
 * own, and taking it as `{}` would hide the mistake.
 */
export function dictEntriesOf(source: unknown, what: string): Array<[string, unknown]> {
  if (source === null || typeof source !== 'object') {
    throw invalidArg(TypeError, `Expected the source of ${what} to be an object, a Map or [key, value] pairs, got ${show(source)}`);
  }
  const iterable = typeof (source as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function';
  if (!iterable && Object.prototype.toString.call(source) !== '[object Object]') {
    throw invalidArg(TypeError, `Expected the source of ${what} to be an object, a Map or [key, value] pairs, got ${Object.prototype.toString.call(source).slice(8, -1)} ${show(source)}`);
  }
  const list = iterable ? Array.from(source as Iterable<unknown>) : Object.entries(source);
  for (const e of list) checkEntry(e, what);
  return list as Array<[string, unknown]>;
}

/** One [key, value] pair with a string key; the hub checks a worker's entries again with this. */
export function checkEntry(e: unknown, what: string): [string, unknown] {
  if (!Array.isArray(e) || e.length !== 2) throw invalidArg(TypeError, `Expected each entry of ${what} to be a [key, value] pair, got ${show(e)}`);
  checkKey(e[0], what);
  return e as [string, unknown];
}

/** Every hub object's answer to an operation it does not have (`constructor`, a typo, another version's op). */
export function unknownOp(label: string, op: string): never {
  throw invalidArg(TypeError, `${label} has no operation ${show(op)}`);
}
