/**
 * The marker `move()` returns, recognised by a registry symbol (so a task
 * module that resolves another copy of forkpool still works). Apart from
 * move.ts because the worker entry needs only the check, and move.ts loads
 * `node:worker_threads` (for MessagePort), which a worker process does not
 * otherwise load.
 */
import type { TransferItem } from '../protocol/messages.js';

export const MOVED = Symbol.for('forkpool.moved');

export interface Moved {
  readonly [MOVED]: true;
  readonly value: unknown;
  readonly transfer: TransferItem[];
}

/** `v` is a `move()` marker: its value and what to transfer. */
export function isMoved(v: object): v is Moved {
  return (v as Partial<Moved>)[MOVED] === true;
}
