/**
 * Where a pool method was called, kept so an error that comes back from a
 * worker shows both sides: the worker's frames (where it was thrown) and the
 * main-process frames that made the call.
 *
 * `Error.captureStackTrace` on a plain object records V8's structured
 * frames; the text is only built if the stack is read, which happens only
 * for a task that failed. Still, a capture costs about 3 µs (measured on a
 * 2-core machine), some 15% of a cheap `apply`: the pool captures once per
 * map/imap call always, and per single call only with
 * `FORKPOOL_CALL_SITES=1`. With `Error.stackTraceLimit` at 0 nothing is captured.
 */

/** The frames of a call into the pool, as a stack-holding object (its text is built lazily). */
export type CallSite = { readonly stack?: string } | undefined;

/** Records the caller's frames, leaving out `method` and everything inside the pool below it. */
export function captureCallSite(method: (...args: never[]) => unknown): CallSite {
  if (!(Error.stackTraceLimit > 0)) return undefined;
  const site: { stack?: string } = {};
  Error.captureStackTrace(site, method);
  return site;
}

/** Errors that already carry a call site: a chunk's one error is shared by its items. */
const extended = new WeakSet<Error>();

/** Appends the call site's frames to `err.stack`, once per error, and returns `err`. */
export function withCallSite<E>(err: E, site: CallSite): E {
  if (site === undefined || !(err instanceof Error) || extended.has(err)) return err;
  extended.add(err);
  const text = site.stack;
  const at = text?.indexOf('\n    at ') ?? -1;
  if (at < 0 || typeof err.stack !== 'string') return err;
  try {
    Object.defineProperty(err, 'stack', { value: err.stack + text!.slice(at), writable: true, configurable: true, enumerable: false });
  } catch {
    // A frozen error keeps the worker's stack alone.
  }
  return err;
}
