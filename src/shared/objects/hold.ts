/**
 * `await using held = await lock.hold()`: a lock held until the block ends,
 * released even when the block throws.
 *
 * `hold()` cannot reject after it acquired the lock (the `using` binding would
 * never exist, and nothing would release it), so the death of a previous
 * holder is reported on the hold itself instead of as LockHolderDiedError.
 */
import { LockHolderDiedError } from '../errors.js';

export interface LockHold extends AsyncDisposable {
  /** True when the previous holder died while holding the lock: check the data it protected. */
  readonly previousHolderDied: boolean;
  /** The worker that died holding it, when `previousHolderDied`. */
  readonly previousHolder: string | undefined;
  /** Releases the lock; further calls do nothing. */
  release(): Promise<void>;
}

export async function hold(acquire: () => Promise<boolean>, release: () => Promise<void>): Promise<LockHold> {
  let died: string | undefined;
  try {
    await acquire();
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
