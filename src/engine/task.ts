/**
 * A task on the main side: one call, or one chunk of calls, from submission
 * until it settles. Its `settle` sink is the only way results leave the engine.
 */
import type { TransferItem, WireTask } from '../protocol/messages.js';
import type { LongTimer } from '../util/timers.js';
import type { LoggedItem } from '../protocol/item-log.js';

/** What a task (a call or a chunk) produced: one value per item, and the items that threw (index, error). */
export interface ChunkOutcome {
  /** A chunk of numbers stays the Float64Array it arrived as: readers copy from it (map, imap) or index it. */
  values: ArrayLike<unknown>;
  errors: Array<[number, Error]> | undefined;
  /** Run time of each item in the worker (ms, in order), when the engine knows it: a chunk of several items. */
  times?: number[];
}

/** Who ran the task and for how long (run time in the worker; 0 when it never reported). */
export interface RunInfo {
  workerId: number;
  ms: number;
}

/** Where a task's end goes: per-item outcomes, or one error for the whole task (crash, timeout, abort...). */
export type TaskSink = (result: ChunkOutcome | Error, info: RunInfo) => void;

/** The method a sink object has instead of being a function (see TaskTarget). */
export const SETTLE_TASK = Symbol('settleTask');

/**
 * A sink that is an object rather than a closure: a plain `applyAsync`
 * settles its AsyncResult directly, saving the closure and its context that
 * each of a burst's 20,000 waiting calls would otherwise hold.
 */
export interface TaskTarget {
  [SETTLE_TASK](result: ChunkOutcome | Error, info: RunInfo): void;
}

/** A call's settings: one object shared by all its tasks (a plain apply shares one across calls). */
export interface TaskSettings {
  timeout?: number;
  signal?: AbortSignal;
  retries: number;
  retryOnError: boolean;
  /** ArrayBuffers and MessagePorts to move, not copy, to a thread worker (a single call's `transfer`). */
  transfer?: readonly TransferItem[];
}

interface TaskInitBase {
  name: string;
  /** Arguments of a single call. */
  args?: unknown[];
  /** Items of a chunk. */
  items?: unknown[];
  /** Each item is an argument list to spread (starmap) rather than one argument. */
  spread?: boolean;
  /** Journal keys of the items, when the call is journaled (an engine may key its jobs with them). */
  keys?: readonly string[];
  /** The caller reports each item's run time (imap): the worker measures them. */
  itemTimes?: boolean;
  /** The timeout covers each item of the chunk, not the whole chunk (map's adaptive chunks). */
  itemTimeout?: boolean;
  /** The journal's run id, when the call is journaled (a distributed engine names the run's jobs with it). */
  run?: string;
  /** A chunk's finished items are logged as they finish, so a death mid-chunk blames only its running item (engine/split.ts). */
  itemLog?: boolean;
  /** Where the chunk's first item sits in the caller's input (map, imap): error messages name the items. */
  first?: number;
  /** Each item's index in the caller's input, when they do not follow on from `first` (a resumed journal skips recorded items). */
  indices?: readonly number[];
  sink: TaskSink | TaskTarget;
}

/** The settings either as one shared object (`settings`), or spread in as fields. */
export type TaskInit = TaskInitBase & ({ settings: Readonly<TaskSettings> } | (TaskSettings & { settings?: undefined }));

export interface CrashRecord {
  exitCode: number | null;
  signal: string | null;
  pid: number | undefined;
}

/** What the engine learns about a logged chunk (`itemLog`) whose worker dies or is killed in its middle (engine/split.ts). */
export interface MidChunk {
  /** The worker said it could not log this chunk (`unlogged`): a death fails it whole. */
  unlogged?: boolean;
  /** The finished items the log held when its worker died. */
  logged?: LoggedItem[];
  /** Its clock ran out or its worker passed the hard memory cap: makes the error its running item gets once the worker is gone (named then). */
  doomed?: { error: (running: string) => Error; kind: 'timeout' | 'memory' };
  /** The tasks its unfinished items went on as; it settles when they have. */
  parts?: Task[];
}

let nextId = 1;

/** What only chunks and journaled calls carry (undefined for a plain call: one field instead of four). */
interface TaskExtras {
  spread: boolean;
  keys: readonly string[] | undefined;
  itemTimes: boolean;
  itemTimeout: boolean;
  run: string | undefined;
  itemLog: boolean;
  first: number | undefined;
  indices: readonly number[] | undefined;
}

/**
 * Kept small on purpose: a burst of 20,000 calls holds 20,000 of these while
 * they wait, and the garbage collector copies every one of them each time it
 * runs. Settings shared by a call live in one object (`#settings`), and what
 * only chunks need in another (`#extras`), read through getters.
 */
export class Task {
  readonly id = nextId++;
  readonly name: string;
  readonly args: unknown[] | undefined;
  readonly items: unknown[] | undefined;
  readonly #settings: Readonly<TaskSettings>;
  readonly #extras: TaskExtras | undefined;
  get timeout(): number | undefined { return this.#settings.timeout; }
  get signal(): AbortSignal | undefined { return this.#settings.signal; }
  get retries(): number { return this.#settings.retries; }
  get retryOnError(): boolean { return this.#settings.retryOnError; }
  get transfer(): readonly TransferItem[] | undefined { return this.#settings.transfer; }
  get spread(): boolean { return this.#extras?.spread === true; }
  get keys(): readonly string[] | undefined { return this.#extras?.keys; }
  get itemTimes(): boolean { return this.#extras?.itemTimes === true; }
  get itemTimeout(): boolean { return this.#extras?.itemTimeout === true; }
  get run(): string | undefined { return this.#extras?.run; }
  get itemLog(): boolean { return this.#extras?.itemLog === true; }
  get first(): number | undefined { return this.#extras?.indices?.[0] ?? this.#extras?.first; }
  get indices(): readonly number[] | undefined { return this.#extras?.indices; }
  /** Its `transfer` list went to a thread: the sender's copies are detached, so it can never be sent again. */
  moved = false;
  readonly enqueuedAt = performance.now();
  /** Set when the task has reached its caller; later outcomes for it are dropped. */
  settled = false;
  /** The worker said this task began running (for blame when the worker dies). */
  started = false;
  /** The number of the command that carried it to its worker (RuntimeWorker.send): the worker names it if it cannot decode it. */
  sentIn = 0;
  /** When the parent learnt the task started (performance.now()), for run times of tasks that never report one. */
  startedAt = 0;
  /**
   * When it was last handed to a worker (performance.now()). A task that
   * starts after an idle gap is only recorded in the worker, and the parent
   * reads that record when the worker dies: it started about when it arrived,
   * so this is its start for the run time of a crash.
   */
  handedAt = 0;

  /**
   * How long it has run, for a task failed by the pool (a crash, a timeout,
   * the memory cap). The memory cap can fail the running task before it said
   * it started: it started when it was handed over.
   */
  ranFor(): number {
    const since = this.startedAt || this.handedAt;
    return since ? performance.now() - since : 0;
  }
  /**
   * It runs alone on its worker, with nothing beside or queued behind it: a
   * retry after its worker died running it beside others (engine/exits.ts).
   * (A task whose arguments hold shared objects, `wire.h`, only has nothing
   * queued behind it: send.ts.)
   */
  exclusive = false;
  /** Number of times the task has been handed to a worker. */
  attempts = 0;
  /** Attempts made before this Task existed (a distributed node: earlier runs of its job elsewhere); added to `currentTask().attempt`. */
  attemptBase = 0;
  /** Overrides the engine's abortGrace for this task: a distributed job carries its client pool's. */
  abortGrace: number | undefined;
  /** Crashes suffered so far (for retries and the poison-pill report). */
  crashes: CrashRecord[] | undefined;
  /** After a crash, the task runs only on a worker spawned after this worker id (a fresh one). */
  minWorkerId = 0;
  /** Wire form, built once (arguments may have been encoded for shared objects). */
  wire: WireTask | undefined;
  timer: LongTimer | undefined;
  removeAbortListener: (() => void) | undefined;
  /** A chunk with an item log, once something happened to it mid-chunk (one field: most tasks never need one). */
  midChunk: MidChunk | undefined;
  readonly #sink: TaskSink | TaskTarget;

  constructor(init: TaskInit) {
    this.name = init.name;
    this.args = init.args;
    this.items = init.items;
    this.#settings = init.settings ?? {
      timeout: init.timeout, signal: init.signal, retries: init.retries, retryOnError: init.retryOnError, transfer: init.transfer,
    };
    if (init.spread || init.keys !== undefined || init.itemTimes || init.itemTimeout || init.run !== undefined || init.itemLog || init.first !== undefined || init.indices !== undefined) {
      this.#extras = {
        spread: init.spread === true, keys: init.keys, itemTimes: init.itemTimes === true, itemTimeout: init.itemTimeout === true, run: init.run, itemLog: init.itemLog === true,
        first: init.first, indices: init.indices,
      };
    }
    this.#sink = init.sink;
  }

  /**
   * A task for items `from` to `to` of this chunk, with the same settings,
   * whose end goes to `sink` (engine/split.ts).
   */
  part(from: number, to: number, sink: TaskSink): Task {
    const e = this.#extras;
    const part = new Task({
      name: this.name, items: this.items!.slice(from, to), settings: this.#settings, sink,
      spread: e?.spread, keys: e?.keys?.slice(from, to), itemTimes: e?.itemTimes, itemTimeout: e?.itemTimeout, run: e?.run, itemLog: e?.itemLog,
      first: e?.first === undefined ? undefined : e.first + from, indices: e?.indices?.slice(from, to),
    });
    part.abortGrace = this.abortGrace;
    part.attemptBase = this.attemptBase;
    return part;
  }

  /** Number of items (1 for a single call). */
  get size(): number {
    return this.items ? this.items.length : 1;
  }

  /** Delivers the end of the task to its caller, exactly once. */
  settle(result: ChunkOutcome | Error, info: RunInfo = { workerId: 0, ms: 0 }): void {
    if (this.settled) return;
    this.settled = true;
    this.timer?.clear();
    this.timer = undefined;
    this.removeAbortListener?.();
    const sink = this.#sink;
    if (typeof sink === 'function') sink(result, info);
    else sink[SETTLE_TASK](result, info);
  }
}
