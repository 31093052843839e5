/**
 * Shared objects inside task arguments and results.
 *
 * The pool calls `encodeShared` on every argument list, `initargs` and result
 * before it crosses, and `decodeShared` on the other side when the sender said
 * something was encoded. A shared object (list, dict, lock, Queue, Pipe end...)
 * travels as a small handle and arrives as a live proxy, so passing a big
 * SharedList to 10,000 tasks never copies its contents.
 *
 * Both are cheap no-ops until the process has created or received a shared
 * object, so pools that never use shared objects pay nothing.
 */
import './kinds.js';
import { decodeValue, encodeValue, isActive } from './wire.js';
import { inWorker } from './worker-link.js';

export interface Encoded {
  value: unknown;
  /** True when at least one shared object was replaced by a handle. */
  found: boolean;
}

/** Replaces shared objects in `value` by handles. Returns `value` itself when there are none. */
export function encodeShared(value: unknown): Encoded {
  if (!isActive()) return { value, found: false };
  return encodeValue(value);
}

/** Replaces handles in `value` by live proxies. */
export function decodeShared(value: unknown): unknown {
  // The main process can only get back handles of objects it created. A
  // worker cannot know what the parent sent without looking, but the walk
  // stops at the first level for primitives, so plain arguments cost little.
  if (!isActive() && !inWorker()) return value;
  return decodeValue(value);
}
