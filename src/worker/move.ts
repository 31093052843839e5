/**
 * `move(value, transfer)`: a task's result whose ArrayBuffers (and
 * MessagePorts) go back to the main thread by transfer instead of by copy.
 * The marker is recognised by a registry symbol, so a task module that
 * resolves another copy of forkpool still works.
 */
import { isArrayBuffer } from 'node:util/types';
import { MessagePort } from 'node:worker_threads';
import type { TransferItem } from '../protocol/messages.js';
import { MOVED, type Moved } from './moved.js';

export type { TransferItem };

/**
 * Returns `value` from a task with `transfer` **moved** to the main thread,
 * not copied (thread runtime): a large result buffer then costs no copy, and
 * it is detached in the worker afterwards. The process runtime copies the
 * bytes as it does any result. Return the marker directly from the task (or as
 * a map item's result): the caller receives `value`.
 *
 * @example
 * import { move } from 'forkpool/worker';
 * export function render(w: number, h: number) {
 *   const pixels = new Uint8Array(w * h * 4);
 *   // ...
 *   return move(pixels, [pixels.buffer]);
 * }
 */
export function move<T>(value: T, transfer: readonly TransferItem[]): T {
  if (!Array.isArray(transfer)) throw new TypeError(`Expected the transfer list of move() to be an array of ArrayBuffers and MessagePorts, got ${typeof transfer}`);
  for (const x of transfer) {
    if (!isArrayBuffer(x) && !(x instanceof MessagePort)) {
      throw new TypeError(`Expected every item moved by move() to be an ArrayBuffer or a MessagePort, got ${ArrayBuffer.isView(x) ? `a ${x.constructor.name} (list its .buffer)` : String(x)}`);
    }
  }
  const marker: Moved = { [MOVED]: true, value, transfer: [...transfer] };
  // The caller receives `value`: the marker exists only between the task and the worker entry.
  return marker as unknown as T;
}
