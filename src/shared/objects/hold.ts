/**
 * `await using held = await lock.hold()`: a lock held until the block ends,
 * released even when the block throws.
 *
 * `hold()` cannot reject after it acquired the lock (the `using` binding would
 * never exist, and nothing would release it), so the death of a previous
 * holder is reported on the hold itself instead of as LockHolderDiedError.
 */
import { AcquireTimeoutError, LockHolderDiedError } from '../errors.js';
import { signalOf, timeoutOf, type WaitOptions } from '../options.js';

export interface LockHold extends AsyncDisposable {
  /** True when the previous holder died while holding the lock: check the data it protected. */
  readonly previousHolderDied: boolean;
  /** The worker that died holding it, when `previousHolderDied`. */
  readonly previousHolder: string | undefined;
  /** Releases the lock; further calls do nothing. */
  release(): Promise<void>;
}

/**
 * Acquires with `options` (as `acquire` takes them) and returns the hold.
 * The options are checked here, under `what` (`Lock.hold()`), so a typo
 * (`{ timeot: 100 }`) or a stray argument (`hold('x')`) is a TypeError rather
 * than a wait without a timeout. When `timeout` runs out, `acquire` answers
 * false and nothing is held: hold() has no hold to give, so it rejects with
 * AcquireTimeoutError.
 */
export async function hold(
  acquire: (options?: WaitOptions) => Promise<boolean>,
  release: () => Promise<void>,
  options: WaitOptions | undefined,
  what: string,
): Promise<LockHold> {
  const timeout = timeoutOf(options, what);
  signalOf(options, what);
  let died: string | undefined;
  try {
    if (!await acquire(options)) throw new AcquireTimeoutError(`${what} did not get ${what.startsWith('Semaphore') ? 'a permit' : 'the lock'} within its timeout of ${timeout} ms; nothing is held`);
  } catch (err) {
    if (!(err instanceof LockHolderDiedError)) throw err;
    died = err.previousHolder;
  }
  let released = false;
  const done = async (): Promise<void> => {
    if (released) return;
    released = true;
    await release();
  };
  return {
    previousHolderDied: died !== undefined,
    previousHolder: died,
    release: done,
    [Symbol.asyncDispose]: done,
  };
}
