/**
 * Whether this worker is a process or a thread, known without loading
 * `node:worker_threads` (a few ms of a process worker's start-up it would not
 * otherwise need): the process runtime starts the entry with one extra
 * argument, which a worker thread never has (its argv is the node binary and
 * the script only). The argument is taken out of `process.argv` at once, so
 * task code sees the argv it always saw.
 */

/** The argument the process runtime passes after the entry's path. */
export const PROCESS_WORKER_ARG = '--forkpool-process-worker';

/** True in a worker process, false in a worker thread. Call once, at start-up. */
export function takeProcessWorkerArg(): boolean {
  const i = process.argv.indexOf(PROCESS_WORKER_ARG, 2);
  if (i < 0) return false;
  process.argv.splice(i, 1);
  return true;
}
