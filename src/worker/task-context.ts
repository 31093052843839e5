/**
 * What a running task can learn about itself (`currentTask()` in forkpool/worker).
 * Kept on globalThis under a registry symbol so that the worker entry and the
 * user's `import 'forkpool/worker'` see the same state even if they resolve
 * two copies of the package.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';

export interface TaskContext {
  /** Task id, unique within the pool. */
  readonly id: number;
  /** Export name being run. */
  readonly name: string;
  /** Aborted when the caller aborts the task (its `signal`) — stop work and return or throw. */
  readonly signal: AbortSignal;
  /** This worker's id within the pool (1, 2, ...; a replacement gets a new id). */
  readonly workerId: number;
  /** 1 on the first run, 2 on the first retry, ... */
  readonly attempt: number;
  /** Distributed pools: a key that stays the same when the task runs again on another node (for idempotent side effects); undefined locally. */
  readonly key?: string;
  /** `'process'` or `'thread'`. */
  readonly runtime: 'process' | 'thread';
}

interface WorkerState {
  /** The running task, when a worker runs one at a time. */
  current: TaskContext | undefined;
  /** Each running task's context, when a worker runs several at once (`concurrentTasksPerWorker`). */
  contexts?: AsyncLocalStorage<TaskContext>;
  workerId: number | undefined;
  runtime: 'process' | 'thread' | undefined;
}

const KEY = Symbol.for('forkpool.worker.state');

export function workerState(): WorkerState {
  const g = globalThis as unknown as Record<symbol, WorkerState>;
  return (g[KEY] ??= { current: undefined, workerId: undefined, runtime: undefined });
}
