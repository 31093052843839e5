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

export class AsyncResult<T> implements PromiseLike<T> {
  #state: State<T> = { s: 'pending' };
  #waiters: Array<() => void> = [];

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
      this.#waiters.push(done);
      if (timeoutMs !== undefined) {
        timer = longTimeout(() => {
          const i = this.#waiters.indexOf(done);
          if (i >= 0) this.#waiters.splice(i, 1);
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
    return new Promise<T>((resolve, reject) => {
      this.#waiters.push(() => {
        const now = this.#state;
        if (now.s === 'fulfilled') resolve(now.v);
        else if (now.s === 'rejected') reject(now.e);
      });
    });
  }

  /** @internal */
  [SETTLE](state: State<T>): void {
    if (this.#state.s !== 'pending') return;
    this.#state = state;
    const waiters = this.#waiters;
    this.#waiters = [];
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
