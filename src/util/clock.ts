/**
 * Milliseconds with sub-millisecond resolution, for task run times (the
 * adaptive chunksize needs them). `performance.now()` would do, but the first
 * touch of the `performance` global loads node's perf_hooks internals, about
 * 1 ms of every worker's start-up; `process.hrtime` is already loaded.
 * It reads the system's monotonic clock, the same in every process and
 * thread of this machine: the parent compares it with its own to judge an
 * item's timeout (`WireTask.pi`).
 */
export function now(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
