/**
 * Options every submitting method takes (timeout, signal, waitForSpace,
 * transfer, chunksize, read-ahead, journal...), documented and checked here,
 * with messages that name the option and the value received.
 */
import { isArrayBuffer } from 'node:util/types';
import { MessagePort } from 'node:worker_threads';
import { invalidArg, show } from './errors.js';
import type { JournalOptions } from './journal/journaled.js';
import type { ResolvedOptions } from './options.js';
import type { TransferItem } from './protocol/messages.js';
import { positiveInt, timeoutMs } from './util/checks.js';

export type { TransferItem };

/** Options every submitting method takes. */
export interface CallOptions {
  /**
   * Per-task timeout in ms for this call (overrides `taskTimeout`). In a map
   * with the default chunksize it covers each item of a chunk; with an
   * explicit `chunksize`, the whole chunk. In imapSettled (on local workers)
   * it covers each item either way, and only that item fails.
   */
  timeout?: number;
  /** Cancels the task(s): queued ones never run, running ones see `currentTask().signal` abort (a running map chunk starts no further item). */
  signal?: AbortSignal;
  /** With `maxQueue`: wait for room instead of rejecting with `QueueFullError`. */
  waitForSpace?: boolean;
}

/** Options of a single call (`apply`, `applyAsync`): a map's items travel in many messages, so no `transfer` there. */
export interface ApplyOptions extends CallOptions {
  /**
   * Thread runtime: ArrayBuffers and MessagePorts in `args` to **move** to the worker, not
   * copy (a typed array's `.buffer`). The sender's buffers are detached afterwards; a port
   * arrives usable. The process runtime copies ArrayBuffers anyway (they stay usable) and
   * refuses ports (`DataCloneError`). A task whose buffers moved is not retried after a
   * crash (its bytes ended with the thread). To move a result back: `move()` from `forkpool/worker`.
   * @default undefined (everything is copied)
   * @example await pool.apply('sum', [buf], { transfer: [buf] }); // buf.byteLength is now 0
   */
  transfer?: readonly TransferItem[];
}

export interface ApplyAsyncOptions<R> extends ApplyOptions {
  /**
   * Runs in this process with the result, exactly once. If it throws, the AsyncResult rejects with a `CallbackError`.
   * An async callback is awaited: the AsyncResult settles after it, and rejects with a `CallbackError` if it rejects.
   * What it returns is otherwise ignored (`(p) => results.push(p)` is fine), as with Python's callback.
   */
  callback?: (result: R) => unknown;
  /** Runs in this process with the error, exactly once, instead of an unhandled failure. Awaited when it returns a promise, as `callback`. */
  errorCallback?: (error: unknown) => unknown;
}

export interface MapOptions extends CallOptions, Partial<JournalOptions> {
  /**
   * Items per message. Default: sized from the task's measured cost (about
   * 4 ms of work per chunk, see docs/pool.md). map never goes above CPython's
   * `ceil(n / (4 × processes))`; imap and imapUnordered start at 1 item and
   * grow to at most 255; imapSettled sends 1.
   */
  chunksize?: number;
}

export interface MapAsyncOptions<R> extends MapOptions, Omit<ApplyAsyncOptions<R>, keyof CallOptions> {}

export interface ImapOptions extends MapOptions {
  /** Most items read from the input ahead of the consumer. Default: max(64, 4 × processes) × chunksize (the current chunk size, as it grows). */
  readAhead?: number;
}

export interface ImapSettledOptions extends ImapOptions {
  /** Yield in input order (true) or completion order (false, the default). */
  ordered?: boolean;
  /**
   * Each item is an argument list, spread into the task's parameters
   * (`name(...item)`, as `starmap` does); an item that is not an array fails
   * the call with a `TypeError` naming it.
   * @default false
   * @example
   * for await (const s of pool.imapSettled('add', [[1, 2], [3, 4]], { spread: true })) console.log(s.ok && s.value);
   */
  spread?: boolean;
}

const CALL_KEYS = ['timeout', 'signal', 'waitForSpace'];
const CALLBACK_KEYS = ['callback', 'errorCallback'];
const MAP_KEYS = [...CALL_KEYS, 'chunksize', 'journal', 'key', 'journalMode', 'resumeFailed'];

/**
 * The options each pool method knows. An unknown key is refused rather than
 * ignored: `{ timout: 100 }` would otherwise run with no timeout at all.
 * `apply` knows the callbacks too: a plain-JS caller passing them gets them run.
 */
export const OPTION_KEYS = {
  apply: new Set([...CALL_KEYS, 'transfer', ...CALLBACK_KEYS]),
  map: new Set(MAP_KEYS),
  mapAsync: new Set([...MAP_KEYS, ...CALLBACK_KEYS]),
  imap: new Set([...MAP_KEYS, 'readAhead']),
  imapSettled: new Set([...MAP_KEYS, 'readAhead', 'ordered', 'spread']),
} as const;

const TRANSFER_SINGLE_ONLY = 'Expected no `transfer` here: it applies to apply and applyAsync only (a map sends its items in many messages)';

/** Throws a TypeError naming the first key of `o` that `method` does not know (a non-object is left to callSettings). */
export function checkOptionKeys(o: unknown, known: ReadonlySet<string>, method: string): void {
  if (o === null || typeof o !== 'object') return;
  for (const key in o) {
    // `transfer` outside a single call gets the reason, not just the list.
    if (!known.has(key)) throw invalidArg(TypeError, key === 'transfer' ? TRANSFER_SINGLE_ONLY : `Unknown option \`${key}\` for ${method}() (known options: ${[...known].join(', ')})`);
    // Read as `=== true`: `ordered: 'yes'` would quietly mean false.
    if (BOOLEAN_KEYS.has(key)) {
      const v = (o as Record<string, unknown>)[key];
      if (v !== undefined && typeof v !== 'boolean') throw invalidArg(TypeError, `Expected \`${key}\` of ${method}() to be true or false, got ${show(v)}`);
    }
  }
}

const BOOLEAN_KEYS: ReadonlySet<string> = new Set(['waitForSpace', 'ordered', 'spread', 'resumeFailed']);

/** What a task needs to know of its call's options (one shared object for the common case). */
export interface CallSettings {
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  retries: number;
  retryOnError: boolean;
  /** What to move instead of copying (thread runtime); undefined in the common case. */
  transfer?: readonly TransferItem[];
}

export interface CallCache { plain?: Readonly<CallSettings> }

/** Checks a call's options and resolves them against the pool's. */
export function callSettings(o: ApplyOptions, pool: ResolvedOptions, cache: CallCache, single = false): Readonly<CallSettings> {
  if (o === null || typeof o !== 'object') throw invalidArg(TypeError, `Expected options to be an object, got ${show(o)}`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArg(TypeError, `Expected \`signal\` to be an AbortSignal, got ${show(o.signal)}`);
  const retryOnError = pool.retryOn === 'error';
  // The common case shares one settings object: this runs once per task.
  if (o.timeout === undefined && o.signal === undefined && o.transfer === undefined) {
    return (cache.plain ??= Object.freeze({ timeout: pool.taskTimeout, signal: undefined, retries: pool.retries, retryOnError }));
  }
  return {
    timeout: o.timeout === undefined ? pool.taskTimeout : timeoutMs('timeout', o.timeout),
    signal: o.signal,
    retries: pool.retries,
    retryOnError,
    transfer: o.transfer === undefined ? undefined : transferOption(o.transfer, single),
  };
}

function transferOption(v: unknown, single: boolean): readonly TransferItem[] {
  if (!single) throw invalidArg(TypeError, TRANSFER_SINGLE_ONLY);
  if (!Array.isArray(v)) throw invalidArg(TypeError, `Expected \`transfer\` to be an array of ArrayBuffers and MessagePorts, got ${show(v)}`);
  const bad = v.find((x) => !isArrayBuffer(x) && !(x instanceof MessagePort));
  if (bad !== undefined) throw invalidArg(TypeError, `Expected every \`transfer\` item to be an ArrayBuffer or a MessagePort, got ${show(bad)}${ArrayBuffer.isView(bad) ? ' (list its `.buffer`)' : ''}`);
  return v;
}

/** `chunksize`, or `dflt` when not given. */
export function chunksizeOption(v: unknown, dflt: number): number {
  return v === undefined ? dflt : positiveInt('chunksize', v, dflt);
}
