/**
 * Typed errors with stable codes. Users match on `code` (or `instanceof`),
 * never on message text.
 *
 * `instanceof` works across two loaded copies of forkpool: every instance
 * carries a brand (a `Symbol.for` key, shared by all copies) listing its
 * code, and `Symbol.hasInstance` checks the brand instead of the prototype.
 */

const BRAND = Symbol.for('forkpool.error.code');

export type ForkpoolErrorCode =
  | 'ERR_FORKPOOL_WORKER_CRASHED'
  | 'ERR_FORKPOOL_POOL_CLOSED'
  | 'ERR_FORKPOOL_TERMINATED'
  | 'ERR_FORKPOOL_WORKER_START'
  | 'ERR_FORKPOOL_POOL_BROKEN'
  | 'ERR_FORKPOOL_UNKNOWN_TASK'
  | 'ERR_FORKPOOL_RESULT_TIMEOUT'
  | 'ERR_FORKPOOL_TASK_TIMEOUT'
  | 'ERR_FORKPOOL_ABORTED'
  | 'ERR_FORKPOOL_MEMORY_LIMIT'
  | 'ERR_FORKPOOL_QUEUE_FULL'
  | 'ERR_FORKPOOL_QUEUE_EMPTY'
  | 'ERR_FORKPOOL_DATA_CLONE'
  | 'ERR_FORKPOOL_CALLBACK'
  | 'ERR_FORKPOOL_NON_ERROR_THROWN'
  | 'ERR_FORKPOOL_INVALID_STATE'
  | 'ERR_FORKPOOL_INVALID_ARG'
  | 'ERR_FORKPOOL_EOF'
  | 'ERR_FORKPOOL_BROKEN_BARRIER'
  | 'ERR_FORKPOOL_LOCK_HOLDER_DIED'
  | 'ERR_FORKPOOL_MANAGER_SHUTDOWN'
  | 'ERR_FORKPOOL_QUEUE_CLOSED'
  | 'ERR_FORKPOOL_PIPE_CLOSED'
  | 'ERR_FORKPOOL_RECV_TIMEOUT'
  | 'ERR_FORKPOOL_WAIT_CANCELLED'
  | 'ERR_FORKPOOL_JOURNAL_MISMATCH'
  | 'ERR_FORKPOOL_JOURNAL_CORRUPT'
  | 'ERR_FORKPOOL_JOURNAL_LOCKED'
  | 'ERR_FORKPOOL_NOT_A_JOURNAL'
  | 'ERR_FORKPOOL_NO_TYPESCRIPT_LOADER'
  | 'ERR_FORKPOOL_WORKER_ENTRY_MISSING'
  | 'ERR_FORKPOOL_REDIS_CONNECTION'
  | 'ERR_FORKPOOL_WORKER_LOST'
  | 'ERR_FORKPOOL_MODULE_MISMATCH'
  | 'ERR_FORKPOOL_PAYLOAD_TOO_LARGE'
  | 'ERR_FORKPOOL_MISSING_DEPENDENCY'
  | 'ERR_FORKPOOL_REDIS_DATA_LOST'
  | 'ERR_FORKPOOL_RESULT_TOO_LARGE'
  | 'ERR_FORKPOOL_INPUT_LINE'
  | 'ERR_FORKPOOL_USAGE'
  | (string & {});

export class ForkpoolError extends Error {
  /** Stable machine-readable code, `ERR_FORKPOOL_…`. */
  declare readonly code: ForkpoolErrorCode;
  static readonly code: string = 'ERR_FORKPOOL';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    const ctor = new.target as typeof ForkpoolError;
    Object.defineProperty(this, 'code', { value: ctor.code, enumerable: true });
    Object.defineProperty(this, 'name', { value: ctor.name, enumerable: false, configurable: true, writable: true });
    Object.defineProperty(this, BRAND, { value: ctor.code, enumerable: false });
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (value === null || typeof value !== 'object') return false;
    const code = (value as Record<symbol, unknown>)[BRAND];
    if (typeof code !== 'string') return false;
    // The base class matches every forkpool error; a subclass matches its own code.
    return this.code === 'ERR_FORKPOOL' || this.code === code;
  }
}

/** A worker exited (crash, signal, `process.exit`, out of memory) while it held the task. */
export class WorkerCrashedError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_WORKER_CRASHED';
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly pid: number | undefined;
  readonly workerId: number;
  /** One entry per attempt when the task was retried (the poison-pill record). */
  readonly attempts: ReadonlyArray<{ exitCode: number | null; signal: string | null; pid: number | undefined }>;
  constructor(info: {
    exitCode: number | null; signal: NodeJS.Signals | null; pid: number | undefined; workerId: number;
    detail?: string; attempts?: WorkerCrashedError['attempts'];
    /** A worker thread: its `pid` is the main process's, and the message says so. */
    thread?: boolean;
    /** What it was running, for the message ('the item at index 7', 'items at indices 0–31, one chunk (...)'); 'the task' when not given. */
    running?: string;
  }) {
    const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.exitCode}`;
    const attempts = info.attempts ?? [{ exitCode: info.exitCode, signal: info.signal, pid: info.pid }];
    const tries = attempts.length > 1
      ? ` (${attempts.length} attempts: ${attempts.map((a) => a.signal ?? `code ${a.exitCode}`).join(', ')})`
      : '';
    const where = info.thread ? `a thread of pid ${info.pid}` : `pid ${info.pid}`;
    super(`Worker ${info.workerId} (${where}) ${how} while running ${info.running ?? 'the task'}${tries}${info.detail ? `: ${info.detail}` : ''}`);
    this.exitCode = info.exitCode;
    this.signal = info.signal;
    this.pid = info.pid;
    this.workerId = info.workerId;
    this.attempts = attempts;
  }
}

/** A task was submitted after `close()`. */
export class PoolClosedError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_POOL_CLOSED';
  constructor(what = 'submit a task') {
    super(`Cannot ${what}: the pool is closed (close() or terminate() was called)`);
  }
}

/** The pool was terminated before the task finished. */
export class PoolTerminatedError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_TERMINATED';
  /** `what`: what could not be done, when it is not a task that was cut short ('submit a task', 'wait for workers to be ready'). */
  constructor(what?: string) {
    super(what ? `Cannot ${what}: the pool was terminated` : 'The pool was terminated before the task finished');
  }
}

/** A worker failed to start: its module threw on import, or the initializer threw. */
export class WorkerStartError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_WORKER_START';
  readonly workerId: number;
  constructor(workerId: number, message: string, cause?: unknown) {
    super(`Worker ${workerId} failed to start: ${message}`, { cause });
    this.workerId = workerId;
  }
}

/** Workers failed to start too many times in a row; the pool gave up and spawns nothing more. */
export class PoolBrokenError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_POOL_BROKEN';
  /** `final`: the start failure is one no retry can mend (no TypeScript loader), so the pool broke at the first. */
  constructor(failures: number, lastStartError: unknown, final = false) {
    const why = lastStartError instanceof Error ? lastStartError.message : String(lastStartError);
    const how = final ? 'a worker failed to start, and no retry would help' : `${failures} workers in a row failed to start`;
    super(`The pool is broken: ${how}. Last error: ${why}`, { cause: lastStartError });
  }
}

/** The task name is not a function exported by the worker module. */
export class UnknownTaskError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_UNKNOWN_TASK';
  readonly taskName: string;
  readonly exports: readonly string[];
  constructor(name: unknown, exports: readonly string[]) {
    super(`Unknown task ${JSON.stringify(name)}: the worker module exports ${exports.length ? exports.map((e) => JSON.stringify(e)).join(', ') : 'no functions'}`);
    this.taskName = String(name);
    this.exports = exports;
  }
}

/** `AsyncResult.get(timeout)` ran out of time. The task keeps running. */
export class ResultTimeoutError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_RESULT_TIMEOUT';
  constructor(ms: number) {
    super(`The result was not ready within ${ms} ms (the task is still running; call get() again to keep waiting)`);
  }
}

/** The task ran longer than its `timeout`; its worker was killed and replaced. */
export class TaskTimeoutError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_TASK_TIMEOUT';
  readonly timeout: number;
  /**
   * `running`: what ran past it, for the message ('one of the items at indices 0–31, one chunk (...)'); 'the task' when not given.
   * `graceMs`: its worker runs other tasks beside it, so it was asked to stop first (concurrentTasksPerWorker).
   */
  constructor(ms: number, running = 'the task', graceMs?: number) {
    super(`${running[0]!.toUpperCase()}${running.slice(1)} ran longer than its timeout of ${ms} ms; ${graceMs === undefined
      ? 'its worker was killed and replaced'
      : `its signal was aborted, and its worker is killed (with the tasks beside it) if it has not stopped within ${graceMs} ms (abortGrace)`}`);
    this.timeout = ms;
  }
}

/** The task was cancelled through its `signal`. `cause` is the signal's reason. */
export class AbortError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_ABORTED';
  constructor(reason: unknown) {
    super('The task was aborted', { cause: reason });
  }
}

/** The worker's memory passed the hard cap while the task ran; the worker was killed. */
export class MemoryLimitError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_MEMORY_LIMIT';
  readonly limit: number;
  readonly rss: number | undefined;
  /** `running`: what the worker was running, for the message ('the item at index 7', 'items at indices 0–31, one chunk (...)'). */
  constructor(limit: number, rss: number | undefined, detail = '', running = 'the task') {
    super(`The worker passed its memory limit of ${limit} bytes${rss ? ` (RSS ${rss} bytes)` : ''} while running ${running}${detail}`);
    this.limit = limit;
    this.rss = rss;
  }
}

/** A bounded queue had no room (the pool's `maxQueue`, or a `Queue` with `maxsize`). */
export class QueueFullError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_QUEUE_FULL';
  constructor(message = 'The queue is full') {
    super(message);
  }
}

/** A `Queue.get` found nothing before its timeout (Python's `queue.Empty`). */
export class QueueEmptyError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_QUEUE_EMPTY';
  constructor(message = 'The queue is empty') {
    super(message);
  }
}

/** An argument or result could not be copied between processes, or threads (a function, say). */
export class DataCloneError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_DATA_CLONE';
  /** @param between what the value had to cross: `threads` under the thread runtime. */
  constructor(what: string, cause: unknown, between: 'processes' | 'threads' = 'processes') {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(`Could not send ${what} between ${between}: ${why}`, { cause });
  }
}

/** A `callback` or `errorCallback` threw. `cause` is what it threw; the pool keeps working. */
export class CallbackError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_CALLBACK';
  constructor(which: 'callback' | 'errorCallback', cause: unknown) {
    super(`The ${which} threw: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The task threw something that is not an Error (a string, null, a plain object). It is in `value`. */
export class NonErrorThrownError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_NON_ERROR_THROWN';
  readonly value: unknown;
  constructor(value: unknown) {
    super(`The task threw a non-Error value: ${showThrown(value)}`);
    this.value = value;
  }
}

/** Longest rendering of a thrown value in a message: the value itself is on the error. */
const MAX_SHOWN = 200;

/**
 * A thrown value, short and on one line: a string quoted, anything else as
 * util.inspect shows it, so a cycle or a huge array makes a readable message
 * (JSON.stringify gave "[object Object]" for the one and megabytes for the other).
 */
function showThrown(value: unknown): string {
  let shown: string;
  try {
    shown = typeof value === 'string'
      ? JSON.stringify(value)
      // Loaded on first use: a worker's start-up does not need node:util.
      // inspect still breaks number arrays into columns: join its lines.
      : process.getBuiltinModule('node:util').inspect(value, { depth: 2, breakLength: Infinity, maxArrayLength: 10, maxStringLength: MAX_SHOWN })
        .replace(/\s*\n\s*/g, ' ');
  } catch {
    try { shown = String(value); } catch { shown = Object.prototype.toString.call(value); }
  }
  return shown.length > MAX_SHOWN ? `${shown.slice(0, MAX_SHOWN)}…` : shown;
}

/** A method was called in a state that does not allow it (`join()` before `close()`, say). */
export class InvalidStateError extends ForkpoolError {
  static override readonly code = 'ERR_FORKPOOL_INVALID_STATE';
}

/**
 * Marks a rebuilt error (one that crossed from a worker) with its forkpool
 * code, so `instanceof DataCloneError` and friends hold on this side too.
 */
export function brandWithCode(err: Error, code: unknown): void {
  if (typeof code === 'string' && code.startsWith('ERR_FORKPOOL_')) {
    Object.defineProperty(err, BRAND, { value: code, enumerable: false });
  }
}

/** Builds a TypeError/RangeError for bad input that still carries a stable code. */
export function invalidArg<E extends ErrorConstructor | RangeErrorConstructor | TypeErrorConstructor>(
  Kind: E, message: string,
): InstanceType<E> & { code: 'ERR_FORKPOOL_INVALID_ARG' } {
  const err = new Kind(message) as InstanceType<E> & { code: 'ERR_FORKPOOL_INVALID_ARG' };
  Object.defineProperty(err, 'code', { value: 'ERR_FORKPOOL_INVALID_ARG', enumerable: true });
  return err;
}

/** Renders a value for an error message: short, unambiguous, never throws. */
export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return String(value); // JSON would show Infinity and NaN as null
  if (typeof value === 'function') return `[function ${value.name || 'anonymous'}]`;
  try {
    const s = JSON.stringify(value);
    if (s !== undefined) return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch { /* fall through */ }
  return String(value);
}
