/**
 * What the supervisor's parts (worker-events.ts, exits.ts) may touch: its
 * shared state and its few verbs. Passing this narrow view keeps each part a
 * small file without giving it the whole engine.
 */
import type { EventEmitter } from 'node:events';
import type { ResolvedOptions } from '../options.js';
import type { EngineState } from './engine.js';
import type { LogRouter } from './logs.js';
import type { ExitReason, FailureKind, StatsBook } from './stats.js';
import type { Task } from './task.js';
import type { TaskQueue } from './task-queue.js';
import type { WorkerSlot } from './worker-slot.js';
import type { WorkerSet } from './workers.js';

export interface Core {
  readonly opts: ResolvedOptions;
  readonly events: EventEmitter;
  readonly workers: WorkerSet;
  readonly queue: TaskQueue;
  readonly stats: StatsBook;
  readonly logs: LogRouter;
  state(): EngineState;
  /** The module's exports, once the first worker said them. */
  exports: string[] | undefined;
  /** Back to the front of the queue (or settled, if the pool can no longer run them). */
  requeueFront(tasks: Task[]): void;
  /** Settles `t` with a failure, counted under `kind`, and emits `taskError`. */
  fail(t: Task, err: Error, kind: FailureKind, w?: WorkerSlot): void;
  kill(w: WorkerSlot, reason: ExitReason, signal?: NodeJS.Signals): void;
  /** Too many failed starts in a row: the pool is broken. */
  /** `final`: no retry could mend the start failure (see exits.ts). */
  breakPool(failures: number, lastStartError: Error, final?: boolean): void;
  /** After anything that may have freed a worker or settled work: stop, dispatch, wake. */
  afterProgress(): void;
  updateRefs(): void;
}
