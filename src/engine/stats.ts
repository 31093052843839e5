/**
 * Counters and recent timings behind `pool.stats()`.
 */

/** Timings keep a bounded window so stats() stays cheap on long runs. */
const TIMING_WINDOW = 2048;

export type FailureKind = 'error' | 'crash' | 'timeout' | 'memory' | 'aborted';
/** Why a worker exited. `'protocol'`: it sent a message that could not be read, or closed its channel. */
export type ExitReason = 'crash' | 'recycle' | 'memory' | 'timeout' | 'abort' | 'shutdown' | 'start-failure' | 'protocol';

export interface WorkerStats {
  id: number;
  pid: number | undefined;
  tasksDone: number;
  /** Last measured memory in bytes (RSS for processes), if known. */
  rss: number | undefined;
  /** How many workers this slot has replaced before it. */
  restarts: number;
  /** Why the worker this one replaced exited. */
  lastExitReason: ExitReason | undefined;
  /** Distributed pools: the node's host, slots and module version. */
  host?: string;
  slots?: number;
  version?: string;
}

export interface PoolStats {
  /** Tasks waiting in the pool for a worker. */
  queued: number;
  /** Tasks running in workers (up to `concurrentTasksPerWorker` per worker; a chunk is one task). */
  running: number;
  completed: number;
  failed: Record<FailureKind, number>;
  retried: number;
  recycled: number;
  /** Outcomes dropped because their task had already settled (distributed pools: replayed or late job results). */
  duplicates: number;
  workers: WorkerStats[];
  /** Task run time in the worker, ms. */
  runTime: { p50: number; p99: number };
  /** Time from submission to being handed to a worker, ms. */
  waitTime: { p50: number; p99: number };
}

export class Timings {
  #values = new Float64Array(TIMING_WINDOW);
  #n = 0;

  add(ms: number): void {
    this.#values[this.#n++ % TIMING_WINDOW] = ms;
  }

  percentiles(): { p50: number; p99: number } {
    const n = Math.min(this.#n, TIMING_WINDOW);
    if (n === 0) return { p50: 0, p99: 0 };
    const sorted = this.#values.slice(0, n).sort();
    const at = (q: number) => sorted[Math.min(n - 1, Math.floor(q * n))]!;
    return { p50: at(0.5), p99: at(0.99) };
  }
}

/** The counters the supervisor keeps, and the snapshot `stats()` returns. */
export class StatsBook {
  completed = 0;
  retried = 0;
  recycled = 0;
  duplicates = 0;
  readonly failed: Record<FailureKind, number> = { error: 0, crash: 0, timeout: 0, memory: 0, aborted: 0 };
  readonly runTimes = new Timings();
  readonly waitTimes = new Timings();

  snapshot(queued: number, running: number, workers: WorkerStats[]): PoolStats {
    return {
      queued,
      running,
      completed: this.completed,
      failed: { ...this.failed },
      retried: this.retried,
      recycled: this.recycled,
      duplicates: this.duplicates,
      workers,
      runTime: this.runTimes.percentiles(),
      waitTime: this.waitTimes.percentiles(),
    };
  }
}
