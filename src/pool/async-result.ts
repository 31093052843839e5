/**
 * AsyncResult: Python's `AsyncResult`, and a real promise.
 *
 * It is a `Promise` subclass whose prototype's `constructor` is `Promise`
 * itself. That is what lets `await`, `Promise.resolve` and `Promise.all` take
 * it as it is: they adopt a promise whose `constructor` is `Promise` without
 * wrapping it. A plain thenable costs each of them a wrapper promise, a job
 * that calls `then`, and the promise `then` returns: three promises per result
 * in a `Promise.all` of 20,000 `applyAsync` calls. And `then` returns plain
 * promises (its species is `Promise`), so nothing but the pool constructs one.
 *
 * It holds its outcome quietly: a failed result that nobody awaits does not
 * become an unhandled rejection (Python stores it too). A promise derived
 * from it (`then`, `get()`, `map()`'s promise) reports as any promise does.
 */
import { longTimeout, type LongTimer } from '../util/timers.js';
import { SETTLE_TASK, type ChunkOutcome } from '../engine/task.js';
import { InvalidStateError, ResultTimeoutError, invalidArg, show } from '../errors.js';

const SETTLE = Symbol('settle');

type State<T> = { s: 'pending' } | { s: 'fulfilled'; v: T } | { s: 'rejected'; e: unknown };

/** Shared by every pending result: a burst of 20,000 calls allocates no state objects until they settle. */
const PENDING: State<never> = Object.freeze({ s: 'pending' });
const IGNORE = (): void => {};

/** The executor's resolvers, taken right after `super()` (one shared executor: no closure per result). */
let takenResolve: ((v: unknown) => void) | undefined;
let takenReject: ((e: unknown) => void) | undefined;
function takeResolvers(resolve: (v: unknown) => void, reject: (e: unknown) => void): void {
  takenResolve = resolve;
  takenReject = reject;
}

export class AsyncResult<T> extends Promise<T> {
  #state: State<T> = PENDING;
  #resolve: (v: T) => void;
  #reject: (e: unknown) => void;
  /** `wait()` callers; created when someone first waits. */
  #waiters: Array<() => void> | undefined;

  /** @internal Created by the pool. */
  constructor(token: typeof SETTLE) {
    // Promise's own statics (AsyncResult.resolve, .all...) would construct one with an executor: not supported.
    if (token !== SETTLE) throw new TypeError('AsyncResult is created by the pool, not directly');
    super(takeResolvers as (resolve: (v: T) => void, reject: (e: unknown) => void) => void);
    this.#resolve = takenResolve as (v: T) => void;
    this.#reject = takenReject as (e: unknown) => void;
    takenResolve = takenReject = undefined;
  }

  /** True once the task has settled (success or failure). */
  ready(): boolean {
    return this.#state.s !== 'pending';
  }

  /** True when the task succeeded. Throws `InvalidStateError` if it is not ready yet, as Python does. */
  successful(): boolean {
    if (this.#state.s === 'pending') throw new InvalidStateError('successful() called before the result is ready');
    return this.#state.s === 'fulfilled';
  }

  /**
   * The result. With `timeoutMs`, rejects with `ResultTimeoutError` if it is
   * not ready in time; the task keeps running and a later `get()` still works.
   */
  get(timeoutMs?: number): Promise<T> {
    checkTimeout(timeoutMs);
    if (this.#state.s !== 'pending' || timeoutMs === undefined) return this.then();
    return new Promise<T>((resolve, reject) => {
      const timer = longTimeout(() => reject(new ResultTimeoutError(timeoutMs)), timeoutMs);
      this.then(
        (v) => { timer.clear(); resolve(v); },
        (e) => { timer.clear(); reject(e); },
      );
    });
  }

  /** Resolves when the result is ready or `timeoutMs` has passed. Never rejects. */
  wait(timeoutMs?: number): Promise<void> {
    checkTimeout(timeoutMs);
    if (this.#state.s !== 'pending') return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: LongTimer | undefined;
      const done = () => { timer?.clear(); resolve(); };
      (this.#waiters ??= []).push(done);
      if (timeoutMs !== undefined) {
        timer = longTimeout(() => {
          const i = this.#waiters?.indexOf(done) ?? -1;
          if (i >= 0) this.#waiters!.splice(i, 1);
          resolve();
        }, timeoutMs);
      }
    });
  }

  /** @internal */
  [SETTLE](state: State<T>): void {
    if (this.#state.s !== 'pending') return;
    this.#state = state;
    if (state.s === 'fulfilled') this.#resolve(state.v);
    else if (state.s === 'rejected') {
      // Handled before it rejects, so Node never counts it as unhandled; the
      // reaction costs a promise on the failure path only.
      super.then(undefined, IGNORE);
      this.#reject(state.e);
    }
    const waiters = this.#waiters;
    if (!waiters) return;
    this.#waiters = undefined;
    for (const w of waiters) w();
  }

  /** @internal A plain applyAsync's task settles its result through this (engine/task.ts TaskTarget): no sink closure per call. */
  [SETTLE_TASK](r: ChunkOutcome | Error): void {
    if (r instanceof Error) this[SETTLE]({ s: 'rejected', e: r });
    else if (r.errors) this[SETTLE]({ s: 'rejected', e: r.errors[0]![1] });
    else this[SETTLE]({ s: 'fulfilled', v: r.values[0] as T });
  }

  override get [Symbol.toStringTag](): string {
    return `AsyncResult(${this.#state.s})`;
  }
}

// See the header: `constructor` is what await/Promise.resolve/Promise.all and
// then's species read. Set on AsyncResult.prototype (not on Promise.prototype
// or an instance), which leaves V8's fast paths for every other promise intact.
Object.defineProperty(AsyncResult.prototype, 'constructor', { value: Promise, writable: true, configurable: true, enumerable: false });

/** @internal A plain promise that follows `result`, and reports an unhandled failure as any promise does. */
export function promiseOf<T>(result: AsyncResult<T>): Promise<T> {
  return result.then();
}

export interface ResultControl<T> {
  result: AsyncResult<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/** @internal A pending AsyncResult, settled with `resolveResult`/`rejectResult` (no control object, no closures). */
export function pendingResult<T>(): AsyncResult<T> {
  return new AsyncResult<T>(SETTLE);
}

/** @internal */
export function resolveResult<T>(result: AsyncResult<T>, v: T): void {
  result[SETTLE]({ s: 'fulfilled', v });
}

/** @internal */
export function rejectResult<T>(result: AsyncResult<T>, e: unknown): void {
  result[SETTLE]({ s: 'rejected', e });
}

/** @internal Makes an AsyncResult and the functions that settle it. */
export function createAsyncResult<T>(): ResultControl<T> {
  const result = new AsyncResult<T>(SETTLE);
  return {
    result,
    resolve: (v) => result[SETTLE]({ s: 'fulfilled', v }),
    reject: (e) => result[SETTLE]({ s: 'rejected', e }),
  };
}

function checkTimeout(ms: unknown): asserts ms is number | undefined {
  if (ms === undefined) return;
  // Infinity means "no limit"; long delays are honoured (see util/timers.ts).
  if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
    throw invalidArg(TypeError, `Expected \`timeoutMs\` to be a non-negative number of milliseconds, got ${show(ms)}`);
  }
}
