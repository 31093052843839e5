/**
 * The interface `Pool` talks to. Everything a pool does — single calls,
 * chunked maps, imap read-ahead, the journal, callbacks — ends in
 * `submit(task)` and `task.settle(...)`, so an engine that runs tasks
 * somewhere else (another machine) only has to implement this.
 */
import type { PoolStats } from './stats.js';
import type { Task } from './task.js';

export type EngineState = 'running' | 'closed' | 'terminated' | 'broken';

/**
 * A call that submits its tasks over time (map chunks sized as results come
 * in, imap reading its input). While open, the engine accepts its tasks even
 * after close(), and join() waits for it to be released.
 */
export interface CallLease {
  /** Called once when join() starts waiting: read the rest of the input without waiting for the consumer. */
  onDrain: (() => void) | undefined;
  /**
   * Called once if the engine ends while the call is open (terminate(), or
   * the pool broke): the call reads no more input, and its consumer gets
   * `error` once it has read what already finished. Without it, an imap
   * waiting for an input that never yields again would never hear of the end.
   */
  onEnd: ((error: Error) => void) | undefined;
  /** The error the engine ended with, once it has: a call that sets `onEnd` late looks here. */
  ended: Error | undefined;
  release(): void;
}

export interface SubmitOptions {
  /** With `maxQueue`: wait for room instead of failing with `QueueFullError`. */
  wait?: boolean;
  /** The call this task belongs to, if it holds a lease. */
  lease?: CallLease;
}

/**
 * How the engine likes a caller's chunks cut when the caller must pick one
 * size up front (a journaled map): at most `maxItems` per chunk, and about
 * `chunksPerSlot` chunks per slot so the tail of the run stays balanced.
 * A local message costs microseconds, a job through Redis milliseconds.
 */
export interface ChunkHint {
  readonly maxItems: number;
  readonly chunksPerSlot: number;
}

export interface Engine {
  readonly state: EngineState;
  /**
   * Tasks the engine can run at once (its worker slots). Callers size their
   * in-flight windows from it (map window, imap read-ahead, CLI read-ahead),
   * never from a local process count.
   */
  readonly capacity: number;
  readonly chunkHint: ChunkHint;
  /**
   * Whether a chunk's timeout can cover each of its items (`Task.itemTimeout`):
   * its workers record each item's start where the engine reads it when the
   * chunk's clock runs out. Where not, a caller that needs per-item clocks
   * sends one item per task.
   */
  readonly itemTimeouts: boolean;
  /**
   * A chunk asking for an item log (`Task.itemLog`) keeps its finished items
   * when its worker dies mid-chunk, fails only the running item, and runs the
   * rest elsewhere (engine/split.ts). Where not, such a death fails the chunk whole.
   */
  readonly itemLogs: boolean;
  /**
   * Takes a task in; admission (state, `maxQueue`) is decided here alone. Every
   * way out goes through `task.settle`. Returns a promise only when the task
   * waits for queue room, resolved once it is admitted or settled.
   */
  submit(task: Task, opts?: SubmitOptions): void | Promise<void>;
  /** Opens a lease for a call that will submit more tasks later. Throws the refusal if the engine takes no new work. */
  openCall(): CallLease;
  /** Drops a task its caller no longer wants: never started if it had not. */
  withdraw(task: Task): void;
  /** Resolves when every slot is ready; rejects if the engine is broken, terminated or closed first. */
  ready(): Promise<void>;
  close(): void;
  /** Resolves when every task has settled and every worker has exited (after close or terminate). */
  whenIdle(): Promise<void>;
  terminate(): Promise<void>;
  stats(): PoolStats;
  /** Pids of live local worker processes (empty for remote engines). */
  pids(): number[];
}
