/**
 * The wire protocol between the pool (parent) and a worker.
 *
 * Messages are named by direction: `Command`s go parent → worker, `WorkerEvent`s
 * go worker → parent. Both runtimes carry the same objects: the process runtime
 * frames them with the V8 serializer on two dedicated pipes (see framing.ts),
 * the thread runtime posts them on a private MessagePort. Neither channel is
 * shared with user code, so user IPC can never be mistaken for protocol traffic;
 * the version in `init`/`ready` catches a parent and a worker entry from two
 * different forkpool copies.
 *
 * Keys are short because every task and every result crosses as one of these.
 */
import type { MessagePort } from 'node:worker_threads';
import type { LoggedItem } from './item-log.js';
import type { EncodedError } from './values.js';

/** What may be moved between threads instead of copied (`transfer`, `move()`). */
export type TransferItem = ArrayBuffer | MessagePort;

/** Bumped on any incompatible change to the messages below. */
export const PROTOCOL_VERSION = 2;

/**
 * How late an item's recorded start may be read (`WireTask.pi`), in ms. A
 * worker process skips the record's write (a syscall) for an item that starts
 * this soon after the last start it wrote for the same chunk, and the parent
 * gives every item this much on top of its timeout: so a chunk's clock never
 * runs out early, at most this much late, and a chunk of cheap items writes
 * about once per millisecond instead of once per item.
 */
export const ITEM_RECORD_SLACK_MS = 1;

/** One task as it travels to a worker: a single call (`a`) or a chunk of calls (`c`). */
export interface WireTask {
  /** Task id, unique within the pool. */
  id: number;
  /** Export name. */
  n: string;
  /** Arguments of a single call. */
  a?: unknown[];
  /** Argument lists of a chunk (starmap): the worker runs `fn(...args)` for each, in order. */
  c?: unknown[][];
  /** Items of a chunk (map, imap): the worker runs `fn(item)` for each, in order. */
  m?: unknown[];
  /**
   * Items of a chunk that are all numbers, as raw doubles (same meaning as
   * `m`). The V8 serializer tags and encodes every element of a plain array
   * one by one; a typed array crosses as one block of bytes, several times
   * faster to write and to read back.
   */
  mf?: Float64Array;
  /** 1 when the parent needs a `started` event (a timeout clock or a cancellable task). */
  s?: 1;
  /** 1 when the arguments hold shared-object handles to turn into proxies (so plain tasks skip that walk). */
  h?: 1;
  /** 1 when the caller wants each item's run time (`done.it`): imap and the CLI do, map does not. */
  pt?: 1;
  /**
   * 1 when the timeout covers each item of this chunk, not the whole chunk
   * (map's adaptive chunks): the worker records when each item starts, where
   * the parent reads it only when the chunk's clock runs out.
   */
  pi?: 1;
  /**
   * 1 when each finished item goes into the item log before the next starts
   * (protocol/item-log.ts), so that a death in the middle of the chunk blames
   * only its running item (imapSettled, the CLI). Only a chunk of several items.
   */
  pl?: 1;
  /** Attempt number, from 1; shown to the task through `currentTask().attempt`. */
  at?: number;
  /** A key that stays the same when the task runs again (a distributed job re-run elsewhere): `currentTask().key`. */
  k?: string;
}

export interface InitCommand {
  t: 'init';
  v: number;
  /** `file:` URL of the task module. */
  module: string;
  workerId: number;
  initializer?: string;
  initargs: unknown[];
  /** 1 when `initargs` hold shared-object handles. */
  h?: 1;
  /** 0 when nobody wants the worker's output (`logs: 'silent'`): it is discarded in the worker, never sent. */
  logs?: 0;
  /** When set, the worker checks its memory after every task and asks to be recycled past it. */
  memoryLimit?: number;
  /**
   * Thread runtime: the parent cannot read a thread's memory, so the thread
   * watches itself while a task runs and reports `overLimit` past this.
   */
  hardMemoryLimit?: number;
  runtime: 'process' | 'thread';
  /** Tasks the worker may run at once (`concurrentTasksPerWorker`); absent means 1. */
  concurrency?: number;
  /**
   * 1: the pool answers `ready` at once, with a command (a `run`, or `go`
   * when it has nothing for this worker), so a worker process may wait for
   * that answer with a blocking read (worker/process-port.ts).
   */
  answersReady?: 1;
}

export type Command =
  | InitCommand
  /**
   * `tr`: what the thread runtime moves instead of copying (the tasks'
   * `transfer` lists; the objects also appear in the tasks' arguments). Only
   * set under the thread runtime; the worker ignores it.
   */
  | { t: 'run'; tasks: WireTask[]; tr?: TransferItem[] }
  | { t: 'abort'; id: number; reason: unknown }
  /** Finish the tasks already handed over, then exit cleanly. */
  | { t: 'stop' }
  /** The answer to `ready` when the pool has nothing else for this worker yet (see `answersReady`). */
  | { t: 'go' }
  /**
   * Give back these tasks if they have not started (another worker is free).
   * Answered with `returned`, listing the ones taken out of the local queue.
   */
  | { t: 'reclaim'; ids: number[] }
  | { t: 'hub'; m: unknown }
  /**
   * Start (1) or stop (0) sending output: a `'silent'` pool's first `'log'`
   * listener came, or its last went, after this worker was told in `init`
   * (its first workers spawn in the Pool's constructor, before anyone can
   * listen). Any `logs` command is newer than `init`, which it overrides.
   */
  | { t: 'logs'; on: 0 | 1 };

/** Outcome of one call: ok with a value, or the encoded error. */
export type Outcome = { ok: true; v: unknown; h?: 1 } | { ok: false; e: EncodedError };

export type WorkerEvent =
  | { t: 'ready'; v: number; pid: number; exports: string[] }
  | { t: 'startError'; phase: 'import' | 'initializer' | 'protocol'; e: EncodedError }
  /**
   * The task began running (sent when it starts after an idle gap, or when
   * asked with `s`). `at`: the attempt, when the runtime reports a dead
   * worker's running task from its record (a stale entry must not mark a
   * later attempt of the same task); only those events carry it.
   */
  | { t: 'started'; id: number; at?: number }
  /**
   * Result of a single call (`o`), or of a chunk: `v` holds one value per item
   * and `e` the items that threw (index, error), so a healthy chunk costs no
   * per-item wrapper objects. `ms` is run time in the worker. `it`: a
   * chunk's run time per item (ms, in order; absent for a single call or a
   * chunk of one), so a slow item shows as slow, not as its chunk's average.
   * `vf` replaces `v` when every value of a healthy chunk is a number (see
   * `WireTask.mf`).
   * `nx`: the task this worker starts right after this one (saves a
   * `started` event).
   */
  | { t: 'done'; id: number; o?: Outcome; v?: unknown[]; vf?: Float64Array; e?: Array<[number, EncodedError]>; h?: 1; ms: number; it?: number[]; nx?: number }
  /** Raw text the task wrote to stdout/stderr; the parent assembles it into whole lines. */
  | { t: 'log'; s: 'stdout' | 'stderr'; x: string; task: number | null }
  /** The worker passed its memory limit after a task: these tasks were never started, run them elsewhere. */
  | { t: 'recycle'; mem: number; returned: number[] }
  /** A thread's own memory (heap + external) passed the hard limit while a task ran: kill it. */
  | { t: 'overLimit'; mem: number }
  /** Answer to `reclaim`: these tasks were taken out of the local queue unstarted; they will never run here. */
  | { t: 'returned'; ids: number[] }
  | { t: 'hub'; m: unknown }
  /** Chunk `id`'s item log stopped (a value it cannot hold, a full disk): a death during it fails the chunk whole. */
  | { t: 'unlogged'; id: number }
  /** A worker process is about to die of this uncaught exception or unhandled rejection (worker/uncaught.ts). */
  | { t: 'uncaught'; m: string }
  /**
   * Command `n` (counted from 1, `init` being the first) arrived whole but
   * could not be deserialized here (nested deeper than this side's
   * deserializer follows). Its tasks never reached this worker: they fail
   * with DataCloneError instead of being sent again to every worker in turn.
   */
  | { t: 'undecodable'; n: number; e: EncodedError }
  /**
   * Never on the wire: the runtime's report, after a worker died, of the items
   * of its running chunk `id` that its item log holds (finished, in order from item 0).
   */
  | { t: 'logged'; id: number; items: LoggedItem[] };
