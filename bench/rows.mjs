// Every row of the results table: which adapter runs it and with which
// options. Node rows run in bench/child.mjs; Python rows in python/bench.py.

export const ROWS = [
  { id: 'forkpool-process', adapter: 'forkpool', options: { runtime: 'process' } },
  { id: 'forkpool-thread', adapter: 'forkpool', options: { runtime: 'thread' } },
  { id: 'piscina', adapter: 'piscina' },
  { id: 'tinypool-thread', adapter: 'tinypool' },
  { id: 'tinypool-process', adapter: 'tinypool', options: { runtime: 'child_process' } },
  { id: 'workerpool-thread', adapter: 'workerpool', options: { workerType: 'thread' } },
  { id: 'workerpool-process', adapter: 'workerpool', options: { workerType: 'process' } },
  // Not a workerpool default, but the one process pool that can carry typed arrays.
  { id: 'workerpool-process-adv', adapter: 'workerpool', options: { workerType: 'process', forkOpts: { serialization: 'advanced' } } },
  { id: 'poolifier-thread', adapter: 'poolifier', options: { kind: 'thread' } },
  { id: 'poolifier-cluster', adapter: 'poolifier', options: { kind: 'cluster' } },
  { id: 'floor-fork-json', adapter: 'raw', options: { kind: 'process', serialization: 'json' } },
  { id: 'floor-fork-advanced', adapter: 'raw', options: { kind: 'process', serialization: 'advanced' } },
  { id: 'floor-worker-threads', adapter: 'raw', options: { kind: 'thread' } },
  // W1 apply_async, W2 apply, W3 map with its default chunksize.
  { id: 'python-mp', python: 'mp', skip: ['W5'] },
  // W1 map(chunksize=1), W3 map(chunksize=1000); the other workloads equal python-mp.
  { id: 'python-mp-chunked', python: 'mp-chunked', skip: ['W2', 'W4', 'W5', 'W6'] },
  // W3 uses map(chunksize=1000): the executor's default of 1 takes minutes for 1M items.
  { id: 'python-futures', python: 'futures', skip: ['W5'] },
];

// CPython's fib(32) is ~50× slower than V8's, so W5 would take minutes per
// repeat and measure the interpreter rather than the pool.
export const PYTHON_SKIP_NOTE = 'Python rows skip W5 (CPython fib(32) takes ~1 s per task).';
