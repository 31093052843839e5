/**
 * Pool options: every field documented, every value checked once, here, with
 * a message that names the option and the value received.
 */
import { availableParallelism } from 'node:os';
import { invalidArg, show } from './errors.js';
import { memoryCap } from './util/bytes.js';
import type { LogLine } from './engine/logs.js';
import type { JournalOptions } from './journal/journaled.js';

export type Runtime = 'process' | 'thread';
export type LogsOption = 'inherit' | 'pipe' | 'silent' | ((line: LogLine) => void);

export interface PoolOptions {
  /**
   * Number of workers.
   * @default os.availableParallelism()
   */
  processes?: number;
  /**
   * `'process'`: child processes (crash isolation, separate memory).
   * `'thread'`: worker_threads (faster start-up and messages; a native crash takes the whole process down).
   * @default 'process'
   */
  runtime?: Runtime;
  /** Name of an export run once in each worker before its first task, with `initargs`. A throw is a start failure. */
  initializer?: string;
  /** Arguments for `initializer`. @default [] */
  initargs?: unknown[];
  /**
   * Replace a worker after it has completed this many tasks (against leaks).
   * A map chunk counts as one task, as in Python.
   * @default undefined (never)
   */
  maxTasksPerChild?: number;
  /**
   * Default per-task timeout in ms. The clock starts when the task starts running.
   * A task past it rejects with `TaskTimeoutError` and its worker is killed and replaced.
   * `Infinity` means no timeout; delays longer than Node's timer limit (about 24.8 days) are honoured.
   * @default undefined (none)
   * @example taskTimeout: 30_000
   */
  taskTimeout?: number;
  /**
   * How long a worker may take to load the module and run `initializer` before it is
   * killed and counted as a failed start (backoff, then `PoolBrokenError`). `Infinity` disables it.
   * When `execArgv` holds `--inspect-brk` (a worker waits for a debugger), the default is `Infinity`.
   * @default 30000
   */
  startTimeout?: number;
  /**
   * Memory cap per worker: bytes, or a string such as `'512MB'`. A worker over the cap after a
   * task is recycled; one over `hardMemoryFactor` × the cap while a task runs is killed
   * and its task fails with `MemoryLimitError`. Processes measure their RSS; threads measure
   * their own isolate's V8 heap plus its external and ArrayBuffer memory (Buffers included).
   * At least 32 MB: a bare Node worker already uses about 45 MB of RSS.
   * @default undefined (no cap)
   * @example maxMemory: '512MB'
   */
  maxMemory?: number | string;
  /** Multiple of `maxMemory` at which a running task's worker is killed. @default 2 */
  hardMemoryFactor?: number;
  /** V8 old-space cap in MB (`--max-old-space-size` for processes, `resourceLimits` for threads). */
  maxOldGenerationSizeMb?: number;
  /**
   * Re-run a task whose worker crashed up to this many times, each time on a fresh worker.
   * @default 0
   */
  retries?: number;
  /** `'crash'`: retry only crashes. `'error'`: also retry tasks that threw. @default 'crash' */
  retryOn?: 'crash' | 'error';
  /** Consecutive start failures after which the pool is broken. @default 3 */
  maxStartFailures?: number;
  /** Bound on tasks waiting for a worker; beyond it submits reject with `QueueFullError` (or wait, with `waitForSpace`). @default Infinity */
  maxQueue?: number;
  /** Grace in ms for an aborted running task to settle before its worker is killed. @default 1000 */
  abortGrace?: number;
  /**
   * Where worker output goes: `'inherit'` (prefixed lines on this process's stdout/stderr),
   * `'pipe'` (only `'log'` events), `'silent'`, or a function called per line.
   * @default 'inherit'
   */
  logs?: LogsOption;
  /** Environment of worker processes. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Node flags for workers, e.g. `['--enable-source-maps']`. Not inherited from this process. @default [] */
  execArgv?: string[];
  /** Working directory of worker processes. @default process.cwd() */
  cwd?: string;
}

export interface ResolvedOptions {
  processes: number;
  runtime: Runtime;
  initializer: string | undefined;
  initargs: unknown[];
  maxTasksPerChild: number;
  taskTimeout: number | undefined;
  startTimeout: number;
  maxMemory: number | undefined;
  hardMemoryFactor: number;
  maxOldGenerationSizeMb: number | undefined;
  retries: number;
  retryOn: 'crash' | 'error';
  maxStartFailures: number;
  maxQueue: number;
  abortGrace: number;
  logs: LogsOption;
  env: NodeJS.ProcessEnv | undefined;
  execArgv: string[];
  cwd: string | undefined;
}

const KNOWN = new Set([
  'processes', 'runtime', 'initializer', 'initargs', 'maxTasksPerChild', 'taskTimeout', 'startTimeout', 'maxMemory',
  'hardMemoryFactor', 'maxOldGenerationSizeMb', 'retries', 'retryOn', 'maxStartFailures', 'maxQueue',
  'abortGrace', 'logs', 'env', 'execArgv', 'cwd',
]);

export function resolveOptions(o: PoolOptions = {}): ResolvedOptions {
  if (o === null || typeof o !== 'object') throw invalidArg(TypeError, `Expected pool options to be an object, got ${show(o)}`);
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) throw invalidArg(TypeError, `Unknown pool option \`${key}\` (known options: ${[...KNOWN].join(', ')})`);
  }
  const runtime = o.runtime ?? 'process';
  if (runtime !== 'process' && runtime !== 'thread') {
    throw invalidArg(TypeError, `Expected \`runtime\` to be 'process' or 'thread', got ${show(runtime)}`);
  }
  if (o.initializer !== undefined && typeof o.initializer !== 'string') {
    throw invalidArg(TypeError, `Expected \`initializer\` to be the name of an exported function, got ${show(o.initializer)}`);
  }
  if (o.initargs !== undefined && !Array.isArray(o.initargs)) {
    throw invalidArg(TypeError, `Expected \`initargs\` to be an array, got ${show(o.initargs)}`);
  }
  const logs = o.logs ?? 'inherit';
  if (typeof logs !== 'function' && !['inherit', 'pipe', 'silent'].includes(logs)) {
    throw invalidArg(TypeError, `Expected \`logs\` to be 'inherit', 'pipe', 'silent' or a function, got ${show(logs)}`);
  }
  if (o.retryOn !== undefined && o.retryOn !== 'crash' && o.retryOn !== 'error') {
    throw invalidArg(TypeError, `Expected \`retryOn\` to be 'crash' or 'error', got ${show(o.retryOn)}`);
  }
  if (o.execArgv !== undefined && (!Array.isArray(o.execArgv) || o.execArgv.some((a) => typeof a !== 'string'))) {
    throw invalidArg(TypeError, `Expected \`execArgv\` to be an array of strings, got ${show(o.execArgv)}`);
  }
  if (o.initializer !== undefined && (o.initializer === '' || o.initializer in Object.prototype)) {
    throw invalidArg(TypeError, `Expected \`initializer\` to be the name of an exported function, got ${show(o.initializer)} (a name every object inherits)`);
  }
  if (o.cwd !== undefined && typeof o.cwd !== 'string') throw invalidArg(TypeError, `Expected \`cwd\` to be a string, got ${show(o.cwd)}`);
  if (o.env !== undefined && (o.env === null || typeof o.env !== 'object')) throw invalidArg(TypeError, `Expected \`env\` to be an object, got ${show(o.env)}`);
  return {
    processes: positiveInt('processes', o.processes, availableParallelism()),
    runtime,
    initializer: o.initializer,
    initargs: o.initargs ?? [],
    maxTasksPerChild: positiveInt('maxTasksPerChild', o.maxTasksPerChild, Infinity),
    taskTimeout: o.taskTimeout === undefined || timeoutMs('taskTimeout', o.taskTimeout) === Infinity ? undefined : o.taskTimeout,
    startTimeout: o.startTimeout !== undefined ? timeoutMs('startTimeout', o.startTimeout)
      : (o.execArgv ?? []).some((a) => a.startsWith('--inspect-brk')) ? Infinity : DEFAULT_START_TIMEOUT_MS,
    maxMemory: o.maxMemory === undefined ? undefined : memoryCap('maxMemory', o.maxMemory),
    hardMemoryFactor: positiveNumber('hardMemoryFactor', o.hardMemoryFactor, 2, 1),
    maxOldGenerationSizeMb: o.maxOldGenerationSizeMb === undefined ? undefined : positiveInt('maxOldGenerationSizeMb', o.maxOldGenerationSizeMb, 0),
    retries: nonNegativeInt('retries', o.retries, 0),
    retryOn: o.retryOn ?? 'crash',
    maxStartFailures: positiveInt('maxStartFailures', o.maxStartFailures, 3),
    maxQueue: positiveInt('maxQueue', o.maxQueue, Infinity),
    abortGrace: o.abortGrace === undefined ? 1000 : timeoutMs('abortGrace', o.abortGrace),
    logs,
    env: o.env,
    execArgv: o.execArgv ?? [],
    cwd: o.cwd,
  };
}

export function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (v === Infinity && dflt === Infinity) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a positive integer, got ${show(v)}`);
  }
  return v;
}

function nonNegativeInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a non-negative integer, got ${show(v)}`);
  }
  return v;
}

function positiveNumber(name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a number >= ${min}, got ${show(v)}`);
  }
  return v;
}

export function timeoutMs(name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v <= 0) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a positive number of milliseconds, got ${show(v)}`);
  }
  return v;
}

/** A worker that loads nothing slow is ready in well under a second; 30 s allows heavy imports and initializers. */
const DEFAULT_START_TIMEOUT_MS = 30_000;

// ── per-call options ─────────────────────────────────────────────────────────

/** Options every submitting method takes. */
export interface CallOptions {
  /** Per-task timeout in ms for this call (overrides `taskTimeout`). For map chunks, it applies per chunk. */
  timeout?: number;
  /** Cancels the task(s): queued ones never run, running ones see `currentTask().signal` abort. */
  signal?: AbortSignal;
  /** With `maxQueue`: wait for room instead of rejecting with `QueueFullError`. */
  waitForSpace?: boolean;
}

export interface ApplyAsyncOptions<R> extends CallOptions {
  /** Runs in this process with the result, exactly once. If it throws, the AsyncResult rejects with a `CallbackError`. */
  callback?: (result: R) => void;
  /** Runs in this process with the error, exactly once, instead of an unhandled failure. */
  errorCallback?: (error: unknown) => void;
}

export interface MapOptions extends CallOptions, Partial<JournalOptions> {
  /** Items per message. Default for map: CPython's `ceil(n / (4 × processes))`; for imap: 1. */
  chunksize?: number;
}

export interface MapAsyncOptions<R> extends MapOptions, Omit<ApplyAsyncOptions<R>, keyof CallOptions> {}

export interface ImapOptions extends MapOptions {
  /** Most items read from the input ahead of the consumer. Default: max(64, 4 × processes) × chunksize. */
  readAhead?: number;
}

export interface ImapSettledOptions extends ImapOptions {
  /** Yield in input order (true) or completion order (false, the default). */
  ordered?: boolean;
}

/** What a task needs to know of its call's options (one shared object for the common case). */
export interface CallSettings {
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  retries: number;
  retryOnError: boolean;
}

export interface CallCache { plain?: Readonly<CallSettings> }

/** Checks a call's options and resolves them against the pool's. */
export function callSettings(o: CallOptions, pool: ResolvedOptions, cache: CallCache): Readonly<CallSettings> {
  if (o === null || typeof o !== 'object') throw invalidArg(TypeError, `Expected options to be an object, got ${show(o)}`);
  if (o.signal !== undefined && !(o.signal instanceof AbortSignal)) throw invalidArg(TypeError, `Expected \`signal\` to be an AbortSignal, got ${show(o.signal)}`);
  const retryOnError = pool.retryOn === 'error';
  // The common case shares one settings object: this runs once per task.
  if (o.timeout === undefined && o.signal === undefined) {
    return (cache.plain ??= Object.freeze({ timeout: pool.taskTimeout, signal: undefined, retries: pool.retries, retryOnError }));
  }
  return {
    timeout: o.timeout === undefined ? pool.taskTimeout : timeoutMs('timeout', o.timeout),
    signal: o.signal,
    retries: pool.retries,
    retryOnError,
  };
}

/** `chunksize`, or `dflt` when not given. */
export function chunksizeOption(v: unknown, dflt: number): number {
  return v === undefined ? dflt : positiveInt('chunksize', v, dflt);
}
