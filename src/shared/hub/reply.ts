/**
 * What every hub object receives and answers: the caller's identity and a
 * one-shot reply. The hub applies each operation whole, in one place, and
 * answers through this, so the same object code serves the main process
 * (a Promise) and workers (a message back over their channel).
 */

/** The caller key of the main process. Workers use their peer id (`w3`). */
export const MAIN = 'main';

export interface Reply {
  /** `'main'` or the worker's peer id. */
  readonly caller: string;
  /**
   * Who holds a lock this call takes: the caller, or, when a worker runs
   * several tasks at once (`concurrentTasksPerWorker`), the calling task of
   * it (`w2 task 17`), so two tasks of one worker exclude each other.
   */
  readonly holder: string;
  /**
   * Answers with a value. `onLost` is for values that must not vanish (a Queue
   * item): it runs if the caller dies before confirming receipt, so the item
   * can go back into the queue. `onDelivered` runs when the worker confirms
   * receipt instead (its link confirms before its code sees the answer): a
   * blocked `put` adds its item only then, so a worker that died waiting
   * never adds it. In the main process neither runs: the answer cannot be lost.
   */
  ok(value: unknown, onLost?: () => void, onDelivered?: () => void): void;
  fail(error: Error): void;
  /**
   * Set by the object that parked this call: withdraws it when the caller's
   * AbortSignal fires. Unset (or a no-op) once the call was answered, so a
   * cancel that arrives late changes nothing and the real answer stands.
   */
  onCancel: (() => void) | undefined;
}

/** The contract of every object the hub hosts. */
export interface HubObject {
  /** Names the object in error messages, e.g. `Queue #4`. */
  readonly label: string;
  /** Applies one operation. Throwing is the same as `reply.fail`. */
  call(op: string, args: unknown[], reply: Reply): void;
  /**
   * A worker exited: drop its waiters and give back what it held. `died`:
   * it crashed or was killed mid-work (not recycled, nor stopped by a close
   * or terminate of its pool).
   */
  peerGone(caller: string, died: boolean): void;
  /** A task of worker `caller` ended when the worker had taken `taken` lent items of this object in all, its own code holding the items numbered `held` (a JoinableQueue: see state/queue-owed.ts). */
  taskEnded?(caller: string, taken: number, held: readonly number[]): void;
  /** The object is being destroyed: fail every waiter with `error`. */
  dispose(error: Error): void;
  /** True when nothing could still use it (a closed, empty Queue); lets orphaned objects go. */
  idle?(): boolean;
}

/** A reply that settles a Promise in the main process. */
export function localReply(resolve: (v: unknown) => void, reject: (e: Error) => void): Reply {
  let done = false;
  return {
    caller: MAIN,
    holder: MAIN,
    ok(value) { if (!done) { done = true; resolve(value); } },
    fail(error) { if (!done) { done = true; reject(error); } },
    onCancel: undefined,
  };
}
