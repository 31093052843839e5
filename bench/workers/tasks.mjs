// The task functions every library runs. Each takes one argument, so the same
// function serves pools that pass one value (piscina, poolifier) and pools
// that spread an argument list (forkpool, workerpool).

export function noop(x) {
  return x;
}

export function double(x) {
  return x * 2;
}

// Deliberately naive recursion: a pure CPU grain with no allocation.
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function echo(value) {
  return value;
}

// Hand-made batch for peers that have no map/chunking of their own (W3).
export function doubleChunk(xs) {
  return xs.map(double);
}

// This worker's resident set size in bytes (meaningful for processes only;
// a thread sees the whole process).
export function rss() {
  return process.memoryUsage().rss;
}

// The worker's monotonic clock in µs, shared by every process on the machine:
// where a call's round trip reached the task (bench/w2-stages.mjs).
export function stamp() {
  return Number(process.hrtime.bigint()) / 1e3;
}
