/**
 * A task on the main side: one call, or one chunk of calls, from submission
 * until it settles. Its `settle` sink is the only way results leave the engine.
 */
import type { TransferItem, WireTask } from '../protocol/messages.js';
import type { LongTimer } from '../util/timers.js';

/** What a task (a call or a chunk) produced: one value per item, and the items that threw (index, error). */
export interface ChunkOutcome {
  values: unknown[];
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

export interface TaskInit {
  name: string;
  /** Arguments of a single call. */
  args?: unknown[];
  /** Items of a chunk. */
  items?: unknown[];
  /** Each item is an argument list to spread (starmap) rather than one argument. */
  spread?: boolean;
  timeout?: number;
  signal?: AbortSignal;
  retries: number;
  retryOnError: boolean;
  /** Journal keys of the items, when the call is journaled (an engine may key its jobs with them). */
  keys?: readonly string[];
  /** The caller reports each item's run time (imap): the worker measures them. */
  itemTimes?: boolean;
  /** The journal's run id, when the call is journaled (a distributed engine names the run's jobs with it). */
  run?: string;
  /** ArrayBuffers and MessagePorts to move, not copy, to a thread worker (a single call's `transfer`). */
  transfer?: readonly TransferItem[];
  sink: TaskSink;
}

export interface CrashRecord {
  exitCode: number | null;
  signal: string | null;
  pid: number | undefined;
}

let nextId = 1;

export class Task {
  readonly id = nextId++;
  readonly name: string;
  readonly args: unknown[] | undefined;
  readonly items: unknown[] | undefined;
  readonly spread: boolean;
  readonly timeout: number | undefined;
  readonly signal: AbortSignal | undefined;
  readonly retries: number;
  readonly retryOnError: boolean;
  readonly keys: readonly string[] | undefined;
  readonly itemTimes: boolean;
  readonly run: string | undefined;
  readonly transfer: readonly TransferItem[] | undefined;
  /** Its `transfer` list went to a thread: the sender's copies are detached, so it can never be sent again. */
  moved = false;
  readonly enqueuedAt = performance.now();
  /** Set when the task has reached its caller; later outcomes for it are dropped. */
  settled = false;
  /** The worker said this task began running (for blame when the worker dies). */
  started = false;
  /** When the parent learnt the task started (performance.now()), for run times of tasks that never report one. */
  startedAt = 0;
  /** Its arguments hold shared objects: it may block on other tasks, so nothing is queued behind it in a worker. */
  exclusive = false;
  /** Number of times the task has been handed to a worker. */
  attempts = 0;
  /** Attempts made before this Task existed (a distributed node: earlier runs of its job elsewhere); added to `currentTask().attempt`. */
  attemptBase = 0;
  /** Crashes suffered so far (for retries and the poison-pill report). */
  crashes: CrashRecord[] | undefined;
  /** After a crash, the task runs only on a worker spawned after this worker id (a fresh one). */
  minWorkerId = 0;
  /** Wire form, built once (arguments may have been encoded for shared objects). */
  wire: WireTask | undefined;
  timer: LongTimer | undefined;
  removeAbortListener: (() => void) | undefined;
  readonly #sink: TaskSink;

  constructor(init: TaskInit) {
    this.name = init.name;
    this.args = init.args;
    this.items = init.items;
    this.spread = init.spread === true;
    this.timeout = init.timeout;
    this.signal = init.signal;
    this.retries = init.retries;
    this.retryOnError = init.retryOnError;
    this.keys = init.keys;
    this.itemTimes = init.itemTimes === true;
    this.run = init.run;
    this.transfer = init.transfer;
    this.#sink = init.sink;
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
    this.#sink(result, info);
  }
}
