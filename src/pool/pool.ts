/**
 * `Pool`: the public class. It checks every argument, turns calls into tasks
 * and hands them to the private Supervisor (see supervisor.ts for the data
 * flow and docs/architecture.md for the whole picture).
 */
import { EventEmitter } from 'node:events';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { InvalidStateError, invalidArg, show } from '../errors.js';
import { resolveOptions, type PoolOptions, type ResolvedOptions } from '../options.js';
import {
  callSettings, checkOptionKeys, chunksizeOption, OPTION_KEYS,
  type ApplyAsyncOptions, type ApplyOptions, type CallCache, type CallOptions, type CallSettings, type ImapOptions, type ImapSettledOptions, type MapAsyncOptions,
  type MapOptions,
} from '../call-options.js';
import { JOB_NAMING, type JobNaming } from '../journal/job-naming.js';
import { positiveInt } from '../util/checks.js';
import { runMap } from './map.js';
import { captureCallSite, withCallSite, type CallSite } from './call-site.js';
import { AsyncResult, createAsyncResult, pendingResult, promiseOf } from './async-result.js';
import { asyncResultSink, checkCallbacks, promiseSink, withCallbacks } from './single.js';
import { upfrontChunksize } from './chunking.js';
import { imapSettled, type SettledItem } from './imap.js';
import { releasing, unwrap } from './iterators.js';
import type { LogLine } from '../engine/logs.js';
import type { ExitReason, PoolStats } from '../engine/stats.js';
import type { CallLease, Engine } from '../engine/engine.js';
import { Supervisor } from '../engine/supervisor.js';
import { ClusterEngine } from '../cluster/engine.js';
import { Task, type ChunkOutcome, type TaskSink, type TaskTarget } from '../engine/task.js';
import type { AnyModule, MapItem, TaskArgs, TaskName, TaskResult } from './types.js';
import { journaled, type JournalOptions } from '../journal/journaled.js';
import { checkWorkerEntry } from '../runtime/entry-path.js';
import { taskModuleHref } from '../runtime/module-path.js';

/** Chunks kept between an imap's input and its consumer, per worker (times chunksize = items). */
const IMAP_CHUNKS_PER_SLOT = 4;
const IMAP_MIN_CHUNKS = 64;
/**
 * Largest chunk imap grows to: past it, the per-item cost of the async
 * iteration itself dominates, and a run command of up to 255 items keeps its
 * compact form (protocol/compact-run.ts).
 */
const IMAP_MAX_CHUNK = 255;

export interface WorkerInfo { workerId: number; pid: number | undefined }
export interface WorkerExitInfo extends WorkerInfo { reason: ExitReason; exitCode: number | null; signal: NodeJS.Signals | null; error?: Error }
export interface TaskErrorInfo { taskId: number; name: string; error: Error }

/** Events a pool emits. */
export interface PoolEvents {
  workerStart: [info: WorkerInfo];
  workerExit: [info: WorkerExitInfo];
  taskError: [info: TaskErrorInfo];
  log: [line: LogLine];
}

export type { CallOptions, ApplyOptions, TransferItem, ApplyAsyncOptions, MapOptions, MapAsyncOptions, ImapOptions, ImapSettledOptions } from '../call-options.js';

export class Pool<M extends object = AnyModule> extends EventEmitter<PoolEvents> {
  readonly #opts: ResolvedOptions;
  readonly #engine: Engine;
  readonly #callCache: CallCache = {};
  /**
   * Single calls record their call site only when asked (`FORKPOOL_CALL_SITES=1`):
   * a capture costs about 3 µs, some 15% of a cheap apply. A map or imap call
   * always records it: one capture per call, whatever its number of items.
   */
  readonly #singleCallSites = process.env.FORKPOOL_CALL_SITES === '1';

  /**
   * @param module The task module: a path (relative to `process.cwd()`), an absolute path, or a `file:` URL.
   *   Every exported function is a task. `.js`, `.mjs`, `.cjs`, `.ts` and `.mts` work without a build step.
   */
  constructor(module: string | URL, options: PoolOptions = {}) {
    super();
    const href = resolveModule(module);
    checkWorkerEntry();
    this.#opts = resolveOptions(options);
    // The distributed engine loads bullmq/ioredis itself, lazily: the local default never does.
    this.#engine = this.#opts.backend ? new ClusterEngine(href, this.#opts, this) : new Supervisor(href, this.#opts, this);
  }

  /** Runs `name(...args)` in a worker. */
  apply<K extends TaskName<M> & {}>(name: K, args?: TaskArgs<M, K>, options?: ApplyOptions): Promise<TaskResult<M, K>> {
    const o = (options === undefined ? NO_OPTIONS : options) as ApplyAsyncOptions<TaskResult<M, K>>;
    if (o !== NO_OPTIONS) checkOptionKeys(o, OPTION_KEYS.apply, 'apply');
    // Callbacks are not apply's API, but a plain-JS caller passing them gets them run, as always.
    if (o !== null && typeof o === 'object' && (o.callback !== undefined || o.errorCallback !== undefined)) {
      return promiseOf(this.applyAsync(name, args, o));
    }
    const list = this.#checkCall(name, args);
    const call = callSettings(o, this.#opts, this.#callCache, true);
    const site = this.#singleCallSites ? captureCallSite(this.apply) : undefined;
    return new Promise((resolve, reject) => {
      this.#submit(singleTask(name, list, call, promiseSink(resolve, reject, site)), o.waitForSpace === true);
    });
  }

  /** Like `apply`, returning an `AsyncResult` and calling `callback`/`errorCallback` in this process. */
  applyAsync<K extends TaskName<M> & {}>(name: K, args?: TaskArgs<M, K>, options: ApplyAsyncOptions<TaskResult<M, K>> = NO_OPTIONS): AsyncResult<TaskResult<M, K>> {
    if (options !== NO_OPTIONS) checkOptionKeys(options, OPTION_KEYS.apply, 'applyAsync');
    const list = this.#checkCall(name, args);
    const call = callSettings(options, this.#opts, this.#callCache, true);
    checkCallbacks(options.callback, options.errorCallback);
    const result = pendingResult<TaskResult<M, K>>();
    const site = this.#singleCallSites ? captureCallSite(this.applyAsync) : undefined;
    this.#submit(singleTask(name, list, call, asyncResultSink(result, options.callback, options.errorCallback, site)), options.waitForSpace === true);
    return result;
  }

  #checkCall(name: string, args: unknown): unknown[] {
    checkName(name);
    const list = (args === undefined ? [] : args) as unknown[];
    // null included: `apply('f', null)` most likely meant f(null), which is `[null]`.
    if (!Array.isArray(list)) throw invalidArg(TypeError, `Expected \`args\` to be an array of arguments, got ${show(args)}${args === null ? ' (to pass null as the argument, write [null])' : ''}`);
    return list;
  }

  /** Runs `name(item)` for every item; resolves with the results in input order. Rejects with the first failure. */
  map<K extends TaskName<M> & {}>(name: K, iterable: Iterable<MapItem<M, K>>, options: MapOptions = {}): Promise<Array<TaskResult<M, K>>> {
    checkOptionKeys(options, OPTION_KEYS.map, 'map');
    if (options?.journal !== undefined) return this.#mapJournaled(name, iterable, options, false) as Promise<Array<TaskResult<M, K>>>;
    return promiseOf(this.#mapAsync<TaskResult<M, K>>(name, iterable, options, false));
  }

  mapAsync<K extends TaskName<M> & {}>(name: K, iterable: Iterable<MapItem<M, K>>, options: MapAsyncOptions<Array<TaskResult<M, K>>> = {}): AsyncResult<Array<TaskResult<M, K>>> {
    checkOptionKeys(options, OPTION_KEYS.mapAsync, 'mapAsync');
    if (options?.journal !== undefined) return this.#journaledAsync(name, iterable, options, false);
    return this.#mapAsync(name, iterable, options, false);
  }

  /** Like `map`, with each element an argument list: `name(...args)`. */
  starmap<K extends TaskName<M> & {}>(name: K, iterable: Iterable<TaskArgs<M, K>>, options: MapOptions = {}): Promise<Array<TaskResult<M, K>>> {
    checkOptionKeys(options, OPTION_KEYS.map, 'starmap');
    if (options?.journal !== undefined) return this.#mapJournaled(name, iterable, options, true) as Promise<Array<TaskResult<M, K>>>;
    return promiseOf(this.#mapAsync<TaskResult<M, K>>(name, iterable, options, true));
  }

  starmapAsync<K extends TaskName<M> & {}>(name: K, iterable: Iterable<TaskArgs<M, K>>, options: MapAsyncOptions<Array<TaskResult<M, K>>> = {}): AsyncResult<Array<TaskResult<M, K>>> {
    checkOptionKeys(options, OPTION_KEYS.mapAsync, 'starmapAsync');
    if (options?.journal !== undefined) return this.#journaledAsync(name, iterable, options, true);
    return this.#mapAsync(name, iterable, options, true);
  }

  /** Lazy map in input order over a sync or async iterable. Throws at the position of the first failure. */
  imap<K extends TaskName<M> & {}>(name: K, iterable: Iterable<MapItem<M, K>> | AsyncIterable<MapItem<M, K>>, options: ImapOptions = {}): AsyncIterableIterator<TaskResult<M, K>> {
    checkOptionKeys(options, OPTION_KEYS.imap, 'imap');
    return this.#values(name, iterable, options, true) as AsyncIterableIterator<TaskResult<M, K>>;
  }

  /** Lazy map in completion order. */
  imapUnordered<K extends TaskName<M> & {}>(name: K, iterable: Iterable<MapItem<M, K>> | AsyncIterable<MapItem<M, K>>, options: ImapOptions = {}): AsyncIterableIterator<TaskResult<M, K>> {
    checkOptionKeys(options, OPTION_KEYS.imap, 'imapUnordered');
    return this.#values(name, iterable, options, false) as AsyncIterableIterator<TaskResult<M, K>>;
  }

  /**
   * Lazy map that never throws for a failed item: yields `{ index, ok, value | error, ms, workerId }`
   * per item (completion order unless `ordered`). For batch jobs that record failures and go on.
   * With `spread: true` each item is an argument list (a lazy, settled starmap).
   */
  imapSettled<K extends TaskName<M> & {}>(name: K, iterable: Iterable<MapItem<M, K>> | AsyncIterable<MapItem<M, K>>, options?: ImapSettledOptions & { spread?: false }): AsyncIterableIterator<SettledItem<TaskResult<M, K>>>;
  imapSettled<K extends TaskName<M> & {}>(name: K, iterable: Iterable<TaskArgs<M, K>> | AsyncIterable<TaskArgs<M, K>>, options: ImapSettledOptions & { spread: true }): AsyncIterableIterator<SettledItem<TaskResult<M, K>>>;
  /** `spread` known only at run time: each item is either kind. */
  imapSettled<K extends TaskName<M> & {}>(name: K, iterable: Iterable<MapItem<M, K> | TaskArgs<M, K>> | AsyncIterable<MapItem<M, K> | TaskArgs<M, K>>, options: ImapSettledOptions & { spread: boolean }): AsyncIterableIterator<SettledItem<TaskResult<M, K>>>;
  imapSettled(name: string, iterable: unknown, options: ImapSettledOptions = {}): AsyncIterableIterator<SettledItem> {
    checkOptionKeys(options, OPTION_KEYS.imapSettled, 'imapSettled');
    return this.#settled(name, iterable, options, options?.spread === true);
  }

  /** Resolves when every worker has started and loaded the module. Only for measuring start-up. */
  ready(): Promise<void> {
    return this.#engine.ready();
  }

  /** Accepts no new tasks; those already submitted still run. */
  close(): void {
    this.#engine.close();
  }

  /** Resolves when every submitted task has settled and every worker has exited. Call `close()` or `terminate()` first. */
  join(): Promise<void> {
    if (this.#engine.state === 'running') {
      return Promise.reject(new InvalidStateError('join() was called while the pool is running: call close() or terminate() first'));
    }
    return this.#engine.whenIdle();
  }

  /** Stops the workers now (SIGTERM, then SIGKILL after a grace); unfinished tasks reject with `PoolTerminatedError`. */
  terminate(): Promise<void> {
    return this.#engine.terminate();
  }

  /** `close()` then `join()`: `await using pool = new Pool(...)` is graceful (Python's `with Pool()` terminates). */
  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
    await this.#engine.whenIdle();
  }

  /** A snapshot of counters, timings and workers. */
  stats(): PoolStats {
    return this.#engine.stats();
  }

  /** Pids of the live worker processes (for threads, this process's pid). */
  pids(): number[] {
    return this.#engine.pids();
  }

  // ── internals ─────────────────────────────────────────────────────────────

  #submit(task: Task, waitForSpace: boolean, lease?: CallLease): void {
    void this.#engine.submit(task, lease ? { wait: waitForSpace, lease } : waitForSpace ? WAIT : NO_WAIT);
  }

  /**
   * map/starmap/mapAsync: checks, then the chunk scheduler (map.ts). With a
   * timeout and no chunksize, chunks stay adaptive and the timeout covers
   * each item (the worker records each item's start); on an engine that
   * cannot (`Engine.itemTimeouts`), a timeout makes the default chunk 1
   * item, so each gets its own clock. A signal keeps chunks adaptive: an
   * aborted chunk starts no further item in its worker.
   */
  #mapAsync<R>(name: string, iterable: Iterable<unknown>, options: MapAsyncOptions<R[]>, spread: boolean): AsyncResult<R[]> {
    checkName(name);
    checkIterable(iterable);
    const items = spread ? Array.from(iterable, starArgs) : Array.from(iterable);
    const call = callSettings(options, this.#opts, this.#callCache);
    const itemTimeout = options.chunksize === undefined && call.timeout !== undefined && this.#engine.itemTimeouts;
    const chunksize = options.chunksize !== undefined || (call.timeout !== undefined && !itemTimeout)
      ? chunksizeOption(options.chunksize, 1) : undefined;
    const ctl = createAsyncResult<R[]>();
    const settle = withCallbacks(ctl, options.callback, options.errorCallback);
    const site = captureCallSite(this.#mapAsync);
    runMap<R>(this.#engine, { name, items, spread, call, chunksize, itemTimeout }, settle.succeed, (e) => settle.fail(withCallSite(e, site)));
    return ctl.result;
  }

  /** imap and imapUnordered: values, the first failure thrown; through the journal when one is given. */
  #values(name: string, iterable: unknown, options: ImapOptions, ordered: boolean): AsyncIterableIterator<unknown> {
    if (options?.journal !== undefined) return unwrap(this.#settled(name, iterable, { ...options, ordered }, false));
    return this.#imap(name, iterable, { ...options, ordered }, false, undefined, captureCallSite(this.#values), true);
  }

  /** imapSettled, through the journal when one is given. */
  #settled(name: string, iterable: unknown, options: ImapSettledOptions, spread: boolean): AsyncIterableIterator<SettledItem> {
    const site = captureCallSite(this.#settled);
    if (options?.journal === undefined) return this.#imap(name, iterable, options, spread, undefined, site);
    checkName(name);
    // The journal opens asynchronously; the lease taken now keeps the call
    // welcome if close() comes first. Until the inner imap exists, a join()
    // has nothing to wait for: the lease is simply given back.
    const lease = this.#engine.openCall();
    lease.onDrain = () => lease.release();
    const pool = { imapSettled: (n: string, items: AsyncIterable<unknown>, o: ImapSettledOptions) => this.#imap(n, items, { ...options, ...o, journal: undefined }, spread, lease, site) };
    const { journal, key, journalMode, resumeFailed, chunksize, timeout, signal } = options;
    const inner = journaled(pool, name, iterable as Iterable<unknown>, { journal, key, journalMode, resumeFailed, chunksize, timeout, signal, ordered: options.ordered === true });
    return releasing(inner, lease);
  }

  /** mapAsync and starmapAsync with a journal: the journaled map, with callbacks. */
  #journaledAsync<R>(name: string, iterable: Iterable<unknown>, options: MapAsyncOptions<R[]>, spread: boolean): AsyncResult<R[]> {
    const ctl = createAsyncResult<R[]>();
    const settle = withCallbacks(ctl, options.callback, options.errorCallback);
    this.#mapJournaled(name, iterable, options, spread).then((v) => settle.succeed(v as R[]), settle.fail);
    return ctl.result;
  }

  /** A journaled map runs every item (so all are recorded), then rejects with the first failure by input order. */
  async #mapJournaled(name: string, iterable: Iterable<unknown>, options: MapOptions, spread: boolean): Promise<unknown[]> {
    checkIterable(iterable);
    const items = Array.from(iterable);
    // The input is known, so chunks are cut by the engine's hint. A timeout covers each item of
    // imapSettled's chunks where the engine logs items; elsewhere it keeps one item per chunk.
    const timed = options.timeout !== undefined || this.#opts.taskTimeout !== undefined;
    const chunksize = options.chunksize !== undefined || (timed && !(this.#engine.itemLogs && this.#engine.itemTimeouts))
      ? chunksizeOption(options.chunksize, 1)
      : upfrontChunksize(items.length, this.#engine.capacity, this.#engine.chunkHint);
    const out = new Array<unknown>(items.length);
    let firstFailure: { index: number; error: Error } | undefined;
    for await (const s of this.#settled(name, items, { ...options, chunksize, ordered: false }, spread)) {
      if (s.ok) out[s.index] = s.value;
      else if (!firstFailure || s.index < firstFailure.index) firstFailure = { index: s.index, error: s.error };
    }
    if (firstFailure) throw firstFailure.error;
    return out;
  }

  /**
   * The lazy map under imap, imapUnordered and imapSettled (imap.ts).
   * `values`: imap and imapUnordered, which yield values and end at the first
   * failure. Without a `chunksize` chunks grow from one item as items prove
   * cheap, unless a whole-chunk failure would cost more than an early error:
   * a timeout must cover each item, which only an engine that records item
   * starts can do; imapSettled must blame a death on its item alone, and a
   * retry must not run finished items again, which needs the item log
   * (`Engine.itemLogs`); without it they keep one item per chunk.
   */
  #imap(name: string, iterable: unknown, options: ImapSettledOptions, spread: boolean, outerLease?: CallLease, site?: CallSite, values = false): AsyncIterableIterator<SettledItem> {
    checkName(name);
    const src = iterable as Iterable<unknown> & AsyncIterable<unknown>;
    if (src === null || (typeof src?.[Symbol.iterator] !== 'function' && typeof src?.[Symbol.asyncIterator] !== 'function')) {
      throw invalidArg(TypeError, `Expected \`iterable\` to be an iterable or async iterable, got ${show(iterable)}`);
    }
    const chunksize = chunksizeOption(options.chunksize, 1);
    const readAheadChunks = Math.max(IMAP_MIN_CHUNKS, IMAP_CHUNKS_PER_SLOT * this.#engine.capacity);
    const readAhead = options.readAhead === undefined ? readAheadChunks * chunksize : positiveInt('readAhead', options.readAhead, 0);
    const call = callSettings(options, this.#opts, this.#callCache);
    const itemTimeout = call.timeout !== undefined && this.#engine.itemTimeouts;
    // With the item log a death mid-chunk fails (or retries) only its running item (engine/split.ts):
    // imapSettled needs it to report each item's own outcome, imap with retries so that a retry runs no finished item again.
    const itemLog = this.#engine.itemLogs && (!values || call.retries > 0);
    const grows = options.chunksize === undefined && (call.timeout === undefined || itemTimeout) && (itemLog || (values && call.retries === 0));
    // An explicit readAhead stays the bound: chunks then stay small enough for two per slot within it.
    const maxChunk = options.readAhead === undefined ? IMAP_MAX_CHUNK : Math.max(1, Math.min(IMAP_MAX_CHUNK, Math.floor(readAhead / (2 * this.#engine.capacity))));
    const lease = outerLease ?? this.#engine.openCall();
    const engine = this.#engine;
    const { keyOf, run, indexOf, attemptsBefore } = (options as { [JOB_NAMING]?: JobNaming })[JOB_NAMING] ?? {};
    const it = imapSettled(src, spread ? starArgs : (x) => x, (items, done, start) => {
      // Journal keys travel with the task, so an engine can key its jobs with them.
      const keys = keyOf ? items.map((_, j) => keyOf(start + j) ?? '') : undefined;
      const indices = indexOf ? items.map((_, j) => indexOf(start + j) ?? start + j) : undefined;
      const task = new Task({
        name, items, first: start, indices, spread, ...call, keys, run, itemTimes: true, itemTimeout: (grows || itemLog) && itemTimeout, itemLog,
        sink: site ? (r, info) => done(withSiteErrors(r, site), info) : done,
      });
      if (attemptsBefore && items.length === 1) task.attemptBase = attemptsBefore(start);
      return { admitted: engine.submit(task, { wait: true, lease }), withdraw: () => engine.withdraw(task) };
    }, {
      chunksize, readAhead, ordered: options.ordered === true, values, onInputDone: () => lease.release(), signal: call.signal,
      adaptive: grows ? { maxChunk, readAheadChunks: options.readAhead === undefined ? readAheadChunks : 0 } : undefined,
    });
    lease.onDrain = () => it.drain();
    lease.onEnd = (error) => it.end(error);
    // A journaled call's lease is older than this imap: the engine may have ended meanwhile.
    if (lease.ended) it.end(lease.ended);
    return it;
  }
}

function resolveModule(module: string | URL): string {
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module.startsWith('file:')) url = new URL(module);
  else if (typeof module === 'string' && module.length > 0) url = pathToFileURL(isAbsolute(module) ? module : resolve(process.cwd(), module));
  else throw invalidArg(TypeError, `Expected the task module to be a path or a file: URL, got ${show(module)}`);
  if (url.protocol !== 'file:') throw invalidArg(TypeError, `Expected the task module to be a file: URL, got ${show(url.href)}`);
  return taskModuleHref(url);
}

function checkIterable(iterable: unknown): asserts iterable is Iterable<unknown> {
  if (iterable === null || typeof (iterable as Iterable<unknown>)?.[Symbol.iterator] !== 'function') {
    throw invalidArg(TypeError, `Expected \`iterable\` to be an iterable, got ${show(iterable)}`);
  }
}

function checkName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || name.length === 0) {
    throw invalidArg(TypeError, `Expected the task name to be the name of an exported function, got ${show(name)}`);
  }
}

function starArgs(x: unknown): unknown[] {
  if (!Array.isArray(x)) throw invalidArg(TypeError, `Expected every starmap element to be an array of arguments, got ${show(x)}`);
  return x;
}

/** Options not given: one shared object, so a call allocates none. */
const NO_OPTIONS = Object.freeze({});
const WAIT = Object.freeze({ wait: true });
const NO_WAIT = Object.freeze({ wait: false });

/** A single call's task (apply, applyAsync). */
function singleTask(name: string, args: unknown[], call: Readonly<CallSettings>, sink: TaskSink | TaskTarget): Task {
  return new Task({ name, args, settings: call, sink });
}

/** A chunk's errors with the call site appended to their stacks. */
function withSiteErrors(result: ChunkOutcome | Error, site: CallSite): ChunkOutcome | Error {
  if (result instanceof Error) return withCallSite(result, site);
  if (result.errors) for (const [, e] of result.errors) withCallSite(e, site);
  return result;
}
