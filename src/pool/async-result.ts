/**
 * AsyncResult: Python's `AsyncResult`, awaitable.
 *
 * It holds its outcome quietly: a failed result that nobody awaits does not
 * become an unhandled rejection (Python stores it too). Promises are created
 * only when someone asks, through `then`, `get` or `await`.
 */
import { longTimeout, type LongTimer } from '../util/timers.js';
import { InvalidStateError, ResultTimeoutError, invalidArg, show } from '../errors.js';

const SETTLE = Symbol('settle');

type State<T> = { s: 'pending' } | { s: 'fulfilled'; v: T } | { s: 'rejected'; e: unknown };

/** Shared by every pending result: a burst of 20,000 calls allocates no state objects until they settle. */
const PENDING: State<never> = Object.freeze({ s: 'pending' });

export class AsyncResult<T> implements PromiseLike<T> {
  #state: State<T> = PENDING;
  /** `wait()` callers; created when someone first waits. */
  #waiters: Array<() => void> | undefined;
  /** The promise behind then/get/await while pending, and what settles it. */
  #pending: Promise<T> | undefined;
  #resolvers: [(v: T) => void, (e: unknown) => void] | undefined;

  /** @internal Created by the pool. */
  constructor(token: typeof SETTLE) {
    if (token !== SETTLE) throw new TypeError('AsyncResult is created by the pool, not directly');
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
    if (this.#state.s !== 'pending' || timeoutMs === undefined) return this.#promise();
    return new Promise<T>((resolve, reject) => {
      const timer = longTimeout(() => reject(new ResultTimeoutError(timeoutMs)), timeoutMs);
      this.#promise().then(
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

  then<A = T, B = never>(
    onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
    onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#promise().then(onFulfilled, onRejected);
  }

  catch<B = never>(onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null): Promise<T | B> {
    return this.#promise().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#promise().finally(onFinally);
  }

  #promise(): Promise<T> {
    const st = this.#state;
    if (st.s === 'fulfilled') return Promise.resolve(st.v);
    if (st.s === 'rejected') return Promise.reject(st.e);
    // One promise per pending result however often it is awaited, settled
    // through its own resolvers (no waiter closure per await).
    return (this.#pending ??= new Promise<T>((resolve, reject) => { this.#resolvers = [resolve, reject]; }));
  }

  /** @internal */
  [SETTLE](state: State<T>): void {
    if (this.#state.s !== 'pending') return;
    this.#state = state;
    if (this.#resolvers) {
      if (state.s === 'fulfilled') this.#resolvers[0](state.v);
      else if (state.s === 'rejected') this.#resolvers[1](state.e);
      this.#resolvers = undefined;
      this.#pending = undefined;
    }
    const waiters = this.#waiters;
    if (!waiters) return;
    this.#waiters = undefined;
    for (const w of waiters) w();
  }

  get [Symbol.toStringTag](): string {
    return `AsyncResult(${this.#state.s})`;
  }
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
