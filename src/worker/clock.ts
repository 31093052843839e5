/**
 * Milliseconds with sub-millisecond resolution, for task run times (the
 * adaptive chunksize needs them). `performance.now()` would do, but the first
 * touch of the `performance` global loads node's perf_hooks internals, about
 * 1 ms of every worker's start-up; `process.hrtime` is already loaded.
 */
export function now(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
