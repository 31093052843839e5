/**
 * Calling a task function and turning what it returns (or throws) into the
 * Outcome a result carries. Synchronous when the function is: a promise
 * exists only when the function returned a thenable, so a small synchronous
 * task costs no promise and no microtask here.
 */
import type { Outcome, TransferItem } from '../protocol/messages.js';
import { encodeError } from '../protocol/values.js';
import type * as SharedCodec from '../shared/codec.js';
import { isMoved } from './moved.js';

export type TaskFn = (...args: unknown[]) => unknown;

/** Loaded by the worker entry with the first shared object; until then results cannot hold one. */
let codec: typeof SharedCodec | undefined;

export function useSharedCodec(c: typeof SharedCodec): void {
  codec = c;
}

/** What a `move()` result transfers, kept beside its outcome (never serialized with it). */
export const movedWith = new WeakMap<Outcome, TransferItem[]>();

/**
 * Calls a task function. Its outcome comes back as a plain value when the
 * function returned one (or threw), and as a promise only when it returned a
 * thenable. Never throws.
 */
export function call(fn: TaskFn | undefined, args: unknown[], hasHandles: boolean): Outcome | Promise<Outcome> {
  try {
    if (typeof fn !== 'function') throw new TypeError('not an exported function');
    const r = fn(...(hasHandles ? (codec!.decodeShared(args) as unknown[]) : args));
    if (r !== null && typeof r === 'object' && typeof (r as PromiseLike<unknown>).then === 'function') return settled(r as PromiseLike<unknown>);
    return outcomeOf(r);
  } catch (err) {
    return { ok: false, e: encodeError(err) };
  }
}

async function settled(r: PromiseLike<unknown>): Promise<Outcome> {
  try {
    return outcomeOf(await r);
  } catch (err) {
    return { ok: false, e: encodeError(err) };
  }
}

/** A returned value as an outcome; a `move()` marker's transfer list is kept aside for the send. */
function outcomeOf(v: unknown): Outcome {
  if (v !== null && typeof v === 'object' && isMoved(v)) {
    const o = outcome(v.value);
    movedWith.set(o, v.transfer);
    return o;
  }
  return outcome(v);
}

function outcome(v: unknown): Outcome {
  const enc = codec?.encodeShared(v);
  return enc?.found ? { ok: true, v: enc.value, h: 1 } : { ok: true, v };
}
