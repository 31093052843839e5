/**
 * The public API inside a worker: `import { currentTask } from 'forkpool/worker'`.
 */
import { workerState, type TaskContext } from './task-context.js';
import { InvalidStateError } from '../errors.js';

export type { TaskContext };
export { move, type TransferItem } from './move.js';

/**
 * The task this worker is running now: its id, name, abort `signal`, attempt
 * number and worker id.
 *
 * Well defined while a task (sync or async) is running, also when a worker
 * runs several at once (`concurrentTasksPerWorker`: each sees its own).
 * Throws `InvalidStateError` outside a task.
 *
 * @example
 * export async function crawl(url: string) {
 *   const { signal } = currentTask();
 *   return (await fetch(url, { signal })).text();
 * }
 */
export function currentTask(): TaskContext {
  const state = workerState();
  const ctx = state.contexts ? state.contexts.getStore() : state.current;
  if (!ctx) throw new InvalidStateError('currentTask() was called outside a running forkpool task');
  return ctx;
}

/** True inside a forkpool worker (process or thread). */
export function isWorker(): boolean {
  return workerState().workerId !== undefined;
}

/** This worker's id, or undefined outside a worker. */
export function workerId(): number | undefined {
  return workerState().workerId;
}
