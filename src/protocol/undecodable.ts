/**
 * A message that arrived whole but could not be deserialized here (nested
 * deeper than this side's deserializer can follow, garbage bytes): the
 * process runtime's frame that did not decode, or a thread's `messageerror`.
 * Its sender wrote it, so the same value would fail again: the task it came
 * from fails with DataCloneError and is not retried (engine/failures.ts).
 */
export class UndecodableMessageError extends Error {
  override name = 'UndecodableMessageError';
  /**
   * Known when the message was a task's result whose frame names it
   * (protocol/done-head.ts): only that task fails, and the worker goes on.
   */
  result?: LostResult;
}

/** Which result a frame that did not decode held, read from its head. */
export interface LostResult {
  id: number;
  /** The task the worker started right after it, if the event named one. */
  nx: number | undefined;
}
