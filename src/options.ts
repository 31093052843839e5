/**
 * Pool options: every field documented, every value checked once, here, with
 * a message that names the option and the value received.
 */
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { invalidArg, show } from './errors.js';
import { memoryCap } from './util/bytes.js';
import { nonNegativeInt, positiveInt, positiveNumber, timeoutMs } from './util/checks.js';
import type { LogLine } from './engine/logs.js';

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
   * In a map with the default chunksize it covers each item of a chunk.
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
  /**
   * Tasks one worker runs at once, for async I/O tasks that mostly wait (fetches, queries):
   * they interleave on its event loop, so CPU-bound tasks gain nothing. `currentTask()` stays
   * right in each. When such a worker dies (a crash, or a kill for one task's timeout, abort
   * or memory cap), every task it had started fails or retries; unstarted ones run elsewhere.
   * @default 1
   * @example concurrentTasksPerWorker: 16 // 16 fetches in flight per worker
   */
  concurrentTasksPerWorker?: number;
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
  /**
   * Working directory of worker processes; it must be an existing directory (checked at
   * construction, under both runtimes). Threads share this process's working directory
   * and ignore it. @default process.cwd()
   */
  cwd?: string;
  /**
   * Run the tasks on other machines, through BullMQ on Redis, instead of local
   * workers. Start `forkpool worker <module> --redis URL --queue NAME` on each
   * machine; calls, types and errors stay the same. `bullmq` and `ioredis` must
   * be installed (they are loaded only when this is set). Local-only options
   * (`processes`, `runtime`, `maxMemory`, `initializer`...) are refused beside it:
   * give them to `forkpool worker` instead. See docs/distributed.md.
   * @default undefined (local workers)
   * @example backend: { redis: 'redis://127.0.0.1:6379', queue: 'crawl' }
   */
  backend?: BackendOptions;
}

/** Where a distributed pool's tasks go (see `PoolOptions.backend`). */
export interface BackendOptions {
  /** `redis://[user:pass@]host:port[/db]` or `rediss://...` (TLS). */
  redis: string;
  /** Queue name shared with the nodes (`forkpool worker --queue`); no `:`. */
  queue: string;
  /**
   * Which nodes may run the tasks: the nodes started with the same module version.
   * @default the first 12 hex digits of the SHA-256 of the task module file
   */
  moduleVersion?: string;
  /**
   * How long Redis may be unreachable before outstanding tasks reject with
   * `RedisConnectionError` (new tasks are refused the same way until it is back).
   * @default 60000
   */
  unavailableTimeout?: number;
}

/** Local-only options refused beside `backend`, with the `forkpool worker` flag that replaces each. */
const LOCAL_ONLY: Record<string, string> = {
  processes: '-j/--processes', runtime: '--runtime', maxMemory: '--max-memory', maxTasksPerChild: '--max-tasks-per-child',
  initializer: '(not supported yet)', initargs: '(not supported yet)', execArgv: '(node flags of the node)',
  hardMemoryFactor: '(its default)', maxOldGenerationSizeMb: '(node flags of the node)', env: "(the node's environment)",
  cwd: "(the node's working directory)", startTimeout: '(its default)', maxStartFailures: '(its default)',
  concurrentTasksPerWorker: '--concurrency',
};

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
  concurrentTasksPerWorker: number;
  maxStartFailures: number;
  maxQueue: number;
  abortGrace: number;
  logs: LogsOption;
  env: NodeJS.ProcessEnv | undefined;
  execArgv: string[];
  cwd: string | undefined;
  backend: Required<BackendOptions> | undefined;
}

const KNOWN = new Set([
  'processes', 'runtime', 'initializer', 'initargs', 'maxTasksPerChild', 'taskTimeout', 'startTimeout', 'maxMemory',
  'hardMemoryFactor', 'maxOldGenerationSizeMb', 'retries', 'retryOn', 'concurrentTasksPerWorker', 'maxStartFailures', 'maxQueue',
  'abortGrace', 'logs', 'env', 'execArgv', 'cwd', 'backend',
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
  const backend = o.backend === undefined ? undefined : backendOption(o);
  // After backendOption, which refuses `cwd` beside a backend whatever its value.
  if (o.cwd !== undefined) checkCwd(o.cwd);
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
    concurrentTasksPerWorker: positiveInt('concurrentTasksPerWorker', o.concurrentTasksPerWorker, 1),
    maxStartFailures: positiveInt('maxStartFailures', o.maxStartFailures, 3),
    maxQueue: positiveInt('maxQueue', o.maxQueue, Infinity),
    abortGrace: o.abortGrace === undefined ? 1000 : timeoutMs('abortGrace', o.abortGrace),
    logs,
    env: o.env,
    execArgv: o.execArgv ?? [],
    // Absolute now: a later process.chdir() in this process must not move where replacement workers start.
    cwd: o.cwd === undefined ? undefined : resolve(o.cwd),
    backend,
  };
}

function backendOption(o: PoolOptions): Required<BackendOptions> {
  const b = o.backend as unknown;
  if (b === null || typeof b !== 'object' || Array.isArray(b)) {
    throw invalidArg(TypeError, `Expected \`backend\` to be an object such as { redis: 'redis://host:6379', queue: 'name' }, got ${show(b)}`);
  }
  const { redis, queue, moduleVersion, unavailableTimeout } = b as BackendOptions;
  for (const key of Object.keys(b)) {
    if (!['redis', 'queue', 'moduleVersion', 'unavailableTimeout'].includes(key)) throw invalidArg(TypeError, `Unknown \`backend\` option \`${key}\` (known: redis, queue, moduleVersion, unavailableTimeout)`);
  }
  let url: URL | undefined;
  try { url = typeof redis === 'string' ? new URL(redis) : undefined; } catch { /* reported below */ }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || !url.hostname) {
    // The password stays out of the message.
    const shown = url ? `${url.protocol}//${url.host}${url.pathname}` : typeof redis === 'string' ? 'a string that is not a URL' : show(redis);
    throw invalidArg(TypeError, `Expected \`backend.redis\` to be a redis:// or rediss:// URL, got ${shown}`);
  }
  if (typeof queue !== 'string' || queue.length === 0 || queue.includes(':')) {
    throw invalidArg(TypeError, `Expected \`backend.queue\` to be a non-empty name without ':', got ${show(queue)}`);
  }
  if (moduleVersion !== undefined && (typeof moduleVersion !== 'string' || !/^[\w.-]{1,64}$/.test(moduleVersion))) {
    throw invalidArg(TypeError, `Expected \`backend.moduleVersion\` to be 1-64 letters, digits, '.', '_' or '-', got ${show(moduleVersion)}`);
  }
  for (const key of Object.keys(o)) {
    const flag = LOCAL_ONLY[key];
    if (flag !== undefined && (o as Record<string, unknown>)[key] !== undefined) {
      throw invalidArg(TypeError, `\`${key}\` is a local-only option and cannot be used with \`backend\`: give it to \`forkpool worker\` on each node instead: ${flag}`);
    }
  }
  return {
    redis, queue, moduleVersion: moduleVersion ?? '',
    unavailableTimeout: unavailableTimeout === undefined ? 60_000 : timeoutMs('backend.unavailableTimeout', unavailableTimeout),
  };
}

/**
 * `cwd` names an existing directory. A process spawned in a missing one fails
 * with "spawn /usr/bin/node ENOENT", which blames the node binary, and only
 * after the pool's start attempts break it. Checked under the thread runtime
 * too, where it is ignored, so that switching runtimes does not turn an
 * accepted pool into a broken one. A relative path is taken from
 * `process.cwd()`, as spawn takes it.
 */
function checkCwd(cwd: string): void {
  let why: string | undefined;
  try {
    if (!statSync(cwd).isDirectory()) why = 'which is not a directory';
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' || code === 'ENOTDIR' ? 'which does not exist' : `which cannot be used (${code ?? String(err)})`;
  }
  if (why) throw invalidArg(TypeError, `Expected \`cwd\` to be an existing directory, got ${show(cwd)}, ${why}`);
}

/** A worker that loads nothing slow is ready in well under a second; 30 s allows heavy imports and initializers. */
const DEFAULT_START_TIMEOUT_MS = 30_000;
