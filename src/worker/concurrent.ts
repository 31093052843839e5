/**
 * What a worker running several tasks at once (`concurrentTasksPerWorker`)
 * needs: a store of each task's context, and a record of the task whose code
 * ends the worker. Made only then: one task at a time needs neither, and
 * does not load node:async_hooks.
 */
import type { AsyncLocalStorage } from 'node:async_hooks';
import type { TaskContext } from './task-context.js';
import type { WorkerPort } from './port.js';

export async function concurrentContexts(port: WorkerPort): Promise<AsyncLocalStorage<TaskContext>> {
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const store = new AsyncLocalStorage<TaskContext>();
  // A task that ends this worker (process.exit, an uncaught exception or an
  // unhandled rejection from its code) ends the others running beside it.
  // The exit still runs in that task's async context, so the record can name
  // it and the parent blame it alone (engine/exits.ts); an exit from code no
  // task started (a module's timer) names nobody.
  process.on('exit', () => {
    const id = store.getStore()?.id;
    try {
      if (id !== undefined) port.recordCulprit?.(id);
    } catch {
      // The record's fd is gone (a task closed it): the parent blames nobody.
      // A throw here would leave process.exit() into the task's code, and
      // the worker would live on.
    }
  });
  return store;
}
