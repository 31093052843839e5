/**
 * Errors of the shared objects (Manager, Queue, Pipe). Like every forkpool
 * error they carry a stable `code`; match on it (or `instanceof`), never on
 * the message text.
 *
 * Every constructor takes the message first, so the worker side can rebuild
 * an error the hub sent back as the same class (see `rebuildError`).
 */
import { ForkpoolError, InvalidStateError, QueueEmptyError, QueueFullError } from '../errors.js';

/** `recv` on a Pipe end whose other end was closed, or whose process died, with nothing left to read. */
export class EOFError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_EOF';
}

/** A `Barrier` was broken (a party timed out, died or called `abort()`); Python's `BrokenBarrierError`. */
export class BrokenBarrierError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_BROKEN_BARRIER';
}

/**
 * The lock was acquired, but its previous holder died while holding it (a
 * robust mutex's EOWNERDEAD). The caller now holds the lock: check the data
 * it protects, then `release()` it.
 */
export class LockHolderDiedError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_LOCK_HOLDER_DIED';
  /** The worker that died holding the lock, e.g. `w3`. */
  declare readonly previousHolder: string;
  constructor(message: string, previousHolder = 'unknown') {
    super(message);
    Object.defineProperty(this, 'previousHolder', { value: previousHolder, enumerable: true });
  }
}

/** A shared object was used after its Manager was shut down (or after it was released). */
export class ManagerShutdownError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_MANAGER_SHUTDOWN';
}

/** `put` on a closed Queue, or `get` on a closed Queue with nothing left in it. */
export class QueueClosedError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_QUEUE_CLOSED';
}

/** A Pipe end was used in a way it does not allow: `send` on a closed end, or on the read end of a one-way Pipe. */
export class PipeClosedError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_PIPE_CLOSED';
}

/** `recv({ timeout })` on a Pipe end found nothing before the timeout. */
export class RecvTimeoutError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_RECV_TIMEOUT';
}

/**
 * `hold({ timeout })` did not get the lock, Condition or Semaphore permit in
 * time. `acquire({ timeout })` answers `false` instead; `hold()` must give a
 * hold that can be disposed, so it rejects, holding nothing.
 */
export class AcquireTimeoutError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_ACQUIRE_TIMEOUT';
}

/**
 * Internal: the hub withdrew a wait because the caller's AbortSignal fired.
 * The caller never sees it: its proxy rejects with the signal's own reason.
 */
export class WaitCancelledError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_WAIT_CANCELLED';
}

type MessageCtor = new (message: string) => Error;

/**
 * Errors the hub may send back to a worker, by code, so they arrive as the
 * same class. Maps, not object literals: a code or name such as `constructor`
 * or `__proto__` must find nothing rather than something from Object.prototype.
 */
const BY_CODE = new Map<string, MessageCtor>([
  [EOFError.code, EOFError],
  [BrokenBarrierError.code, BrokenBarrierError],
  [LockHolderDiedError.code, LockHolderDiedError],
  [ManagerShutdownError.code, ManagerShutdownError],
  [QueueClosedError.code, QueueClosedError],
  [PipeClosedError.code, PipeClosedError],
  [RecvTimeoutError.code, RecvTimeoutError],
  [AcquireTimeoutError.code, AcquireTimeoutError],
  [QueueFullError.code, QueueFullError],
  [QueueEmptyError.code, QueueEmptyError],
  [InvalidStateError.code, InvalidStateError],
  [WaitCancelledError.code, WaitCancelledError],
]);

const BUILTIN = new Map<string, ErrorConstructor>([['TypeError', TypeError], ['RangeError', RangeError], ['Error', Error]]);

/** An error as it travels from the hub to a worker. */
export interface WireError {
  name: string;
  message: string;
  code?: string;
  props?: Record<string, unknown>;
}

export function toWireError(err: unknown): WireError {
  if (!(err instanceof Error)) return { name: 'Error', message: String(err) };
  const out: WireError = { name: typeof err.name === 'string' ? err.name : 'Error', message: String(err.message) };
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (err instanceof LockHolderDiedError) out.props = { previousHolder: err.previousHolder };
  return out;
}

/**
 * Rebuilds a hub error in the worker. The stack is the worker's own (where the
 * proxy was called), which is where the user needs to look.
 */
export function rebuildError(w: WireError): Error {
  const code = typeof w.code === 'string' ? w.code : undefined;
  const message = typeof w.message === 'string' ? w.message : 'the hub failed the call (no message)';
  const Known = code === undefined ? undefined : BY_CODE.get(code);
  let err: Error;
  if (Known === LockHolderDiedError) {
    const holder = w.props?.previousHolder;
    err = new LockHolderDiedError(message, typeof holder === 'string' ? holder : 'unknown');
  } else if (Known) {
    err = new Known(message);
  } else {
    err = new (BUILTIN.get(w.name) ?? Error)(message);
    if (code !== undefined) Object.defineProperty(err, 'code', { value: code, enumerable: true });
  }
  return err;
}
