/**
 * The sinks of single calls (`apply`, `applyAsync`): they turn a task's end
 * into the caller's result and run its callbacks; and Python's callback rules
 * (`withCallbacks`), which mapAsync and starmapAsync share.
 *
 * Why their own file: they are built once per call, and a burst of 20,000
 * tiny calls made their garbage the main process's largest cost. The common
 * case (no callbacks, no recorded call site) costs one closure and no
 * control objects.
 */
import { CallbackError, invalidArg, show } from '../errors.js';
import type { TaskSink, TaskTarget } from '../engine/task.js';
import { rejectResult, resolveResult, type AsyncResult } from './async-result.js';
import { withCallSite, type CallSite } from './call-site.js';

/** The sink of an `applyAsync`: settles `result`, after `callback`/`errorCallback` when given (a throwing callback rejects with CallbackError). */
export function asyncResultSink<T>(
  result: AsyncResult<T>,
  callback: ((v: T) => unknown) | undefined,
  errorCallback: ((e: unknown) => unknown) | undefined,
  site: CallSite | undefined,
): TaskSink | TaskTarget {
  if (!callback && !errorCallback) {
    // The common case: the result settles itself (no closure per call).
    if (!site) return result;
    return (r) => {
      if (r instanceof Error) rejectResult(result, withCallSite(r, site));
      else if (r.errors) rejectResult(result, withCallSite(r.errors[0]![1], site));
      else resolveResult(result, r.values[0] as T);
    };
  }
  return (r) => {
    if (r instanceof Error || r.errors) {
      const e = withCallSite(r instanceof Error ? r : r.errors![0]![1], site);
      if (!errorCallback) return rejectResult(result, e);
      return runCallback(errorCallback, e, () => rejectResult(result, e), (err) => rejectResult(result, new CallbackError('errorCallback', err)));
    }
    const v = r.values[0] as T;
    if (!callback) return resolveResult(result, v);
    runCallback(callback, v, () => resolveResult(result, v), (err) => rejectResult(result, new CallbackError('callback', err)));
  };
}

/**
 * Runs a user's callback, then `done`; `failed` if it throws or, for an async
 * callback, rejects. An async callback is waited for: its rejection would
 * otherwise be an unhandled rejection, which ends the main process.
 */
export function runCallback<A>(fn: (a: A) => unknown, arg: A, done: () => void, failed: (err: unknown) => void): void {
  let r: unknown;
  let thenable: boolean;
  try {
    r = fn(arg);
    // Reading `then` runs user code too (a getter, a Proxy): inside the try, or
    // a throwing getter would leave the result pending for good.
    thenable = r !== null && (typeof r === 'object' || typeof r === 'function') && typeof (r as PromiseLike<unknown>).then === 'function';
  } catch (err) {
    return failed(err);
  }
  if (thenable) {
    // A `then` that throws (when read again, or when called) rejects this promise.
    Promise.resolve(r as PromiseLike<unknown>).then(done, failed);
    return;
  }
  done();
}

/** The sink of an `apply`: settles a plain promise (no AsyncResult in between). */
export function promiseSink<T>(resolve: (v: T) => void, reject: (e: unknown) => void, site: CallSite | undefined): TaskSink {
  return (r) => {
    if (r instanceof Error) reject(site ? withCallSite(r, site) : r);
    else if (r.errors) reject(site ? withCallSite(r.errors[0]![1], site) : r.errors[0]![1]);
    else resolve(r.values[0] as T);
  };
}

export function checkCallbacks(callback: unknown, errorCallback: unknown): void {
  if (callback !== undefined && typeof callback !== 'function') throw invalidArg(TypeError, `Expected \`callback\` to be a function, got ${show(callback)}`);
  if (errorCallback !== undefined && typeof errorCallback !== 'function') throw invalidArg(TypeError, `Expected \`errorCallback\` to be a function, got ${show(errorCallback)}`);
}

/** Applies Python's callback rules: run in this process, once, one argument; a throwing callback becomes the result's error. */
export function withCallbacks<T>(
  ctl: { resolve(v: T): void; reject(e: unknown): void },
  callback: ((v: T) => unknown) | undefined,
  errorCallback: ((e: unknown) => unknown) | undefined,
): { succeed(v: T): void; fail(e: unknown): void } {
  checkCallbacks(callback, errorCallback);
  return {
    succeed(v) {
      if (!callback) return ctl.resolve(v);
      runCallback(callback, v, () => ctl.resolve(v), (err) => ctl.reject(new CallbackError('callback', err)));
    },
    fail(e) {
      if (!errorCallback) return ctl.reject(e);
      runCallback(errorCallback, e, () => ctl.reject(e), (err) => ctl.reject(new CallbackError('errorCallback', err)));
    },
  };
}
