/**
 * The runner's pool: forkpool's public `Pool`, seen through its public types
 * (the CLI is one more client of `src/index.ts`), plus the adapters the
 * runner puts between it and the journal: `--retry-on` kinds the pool does not retry itself (timeouts, or thrown
 * errors without crashes) are retried here, by feeding the item again.
 */
import { Pool, type LogLine, type PoolOptions, type SettledItem, type WorkerExitInfo } from '../index.js';
import type { JournalPool } from '../journal/journaled.js';
import { JOB_NAMING } from '../journal/job-naming.js';
import type { RetryOn } from './units.js';

export type RunnerPool = Pool;
export type { WorkerExitInfo, LogLine };

export interface RunnerPoolOptions {
  processes?: number;
  runtime: 'process' | 'thread';
  maxTasksPerChild?: number;
  /** Items a worker runs at once (`--concurrency`). */
  concurrency?: number;
  taskTimeout?: number;
  maxMemory?: number | string;
  retries: number;
  retryOn: RetryOn[];
  logs: (line: LogLine) => void;
  /** `--redis`/`--queue`: a distributed pool; the local pool's options are the nodes' then. */
  backend?: { redis: string; queue: string; moduleVersion?: string };
}

/** True when the pool's own retries cover `--retry-on`: crashes, optionally with thrown errors. */
export function poolRetries(retryOn: readonly RetryOn[]): boolean {
  return retryOn.includes('crash') && !retryOn.includes('timeout');
}

export function createPool(modulePath: string, options: RunnerPoolOptions): RunnerPool {
  const native = poolRetries(options.retryOn);
  const local = options.backend === undefined;
  const opts: PoolOptions = {
    ...(local ? { runtime: options.runtime } : { backend: options.backend }),
    logs: options.logs,
    // Only set options are passed: the pool's defaults stay the pool's business.
    ...(local && options.processes !== undefined && { processes: options.processes }),
    ...(local && options.maxTasksPerChild !== undefined && { maxTasksPerChild: options.maxTasksPerChild }),
    ...(local && options.concurrency !== undefined && { concurrentTasksPerWorker: options.concurrency }),
    ...(options.taskTimeout !== undefined && { taskTimeout: options.taskTimeout }),
    ...(local && options.maxMemory !== undefined && { maxMemory: options.maxMemory }),
    ...(native && options.retries > 0 && { retries: options.retries, retryOn: options.retryOn.includes('error') ? 'error' : 'crash' }),
  };
  // Ctrl-C is the runner's (stop feeding, let running items finish): worker
  // processes lead their own process group and ignore SIGINT themselves.
  return new Pool(modulePath, opts);
}

const KIND_OF_CODE: Record<string, RetryOn> = {
  ERR_FORKPOOL_WORKER_CRASHED: 'crash', ERR_FORKPOOL_MEMORY_LIMIT: 'crash', ERR_FORKPOOL_TASK_TIMEOUT: 'timeout',
};
/** Outcomes that are about the run (Ctrl-C, --halt now), never retried. */
const NOT_RETRIED = new Set(['ERR_FORKPOOL_TERMINATED', 'ERR_FORKPOOL_POOL_CLOSED', 'ERR_FORKPOOL_ABORTED', 'ERR_FORKPOOL_UNKNOWN_TASK', 'ERR_FORKPOOL_POOL_BROKEN', 'ERR_FORKPOOL_WORKER_START']);

export function failureKind(error: unknown): RetryOn | undefined {
  const code = String((error as { code?: unknown } | null)?.code);
  if (NOT_RETRIED.has(code)) return undefined;
  return KIND_OF_CODE[code] ?? 'error';
}

/**
 * The pool as the journal sees it. With `retries` (and kinds the pool does
 * not retry itself), a failed item of a kind in `retryOn` is fed to the pool
 * again, up to `retries` times, and only its last outcome is passed on.
 */
export function journalPort(pool: RunnerPool, retries: number, retryOn: readonly RetryOn[], spread = false): JournalPool {
  const retrying = retries > 0 && !poolRetries(retryOn);
  return {
    imapSettled(name, items, options) {
      // --spread: each item (a CSV row, a --colsep array, one of several sources) is the argument list.
      const opts = { ...options, spread: spread || options.spread === true };
      const input = opts.spread ? asArgumentLists(items) : items;
      if (!retrying) return pool.imapSettled(name, input, opts);
      return withRetries(pool, name, input, opts, retries, new Set(retryOn));
    },
  };
}

/** `--spread`: an item that is not an array (a plain line, a JSON object) is the one argument. */
async function* asArgumentLists(items: AsyncIterable<unknown>): AsyncGenerator<unknown[]> {
  for await (const item of items) yield Array.isArray(item) ? item : [item];
}

type ImapOpts = Parameters<JournalPool['imapSettled']>[2] & { spread: boolean };

async function* withRetries(
  pool: RunnerPool, name: string, items: AsyncIterable<unknown>, opts: ImapOpts, retries: number, kinds: Set<RetryOn>,
): AsyncGenerator<SettledItem> {
  // Pool positions → the caller's index and attempts so far.
  const fed = new Map<number, { index: number; item: unknown; attempt: number }>();
  let poolIndex = 0;
  const again: Array<{ index: number; item: unknown; attempt: number }> = [];
  let outstanding = 0;
  let inputDone = false;
  let wake: (() => void) | undefined;
  const notify = () => { wake?.(); wake = undefined; };
  const source = items[Symbol.asyncIterator]();

  async function* feed(): AsyncGenerator<unknown> {
    let next = 0;
    for (;;) {
      const retry = again.shift();
      if (retry) { fed.set(poolIndex++, retry); outstanding++; yield retry.item; continue; }
      if (!inputDone) {
        const r = await source.next();
        if (r.done) { inputDone = true; continue; }
        fed.set(poolIndex++, { index: next++, item: r.value, attempt: 0 });
        outstanding++;
        yield r.value;
        continue;
      }
      // The input ended, but an item still running may fail and come back: wait for it.
      if (outstanding === 0) return;
      await new Promise<void>((resolve) => { wake = resolve; });
    }
  }

  // The pool's positions count retries too: keys and indices are asked for by the caller's index.
  const naming = opts[JOB_NAMING];
  const keyOf = naming?.keyOf && ((position: number) => { const e = fed.get(position); return e ? naming.keyOf!(e.index) : undefined; });
  const indexOf = naming?.indexOf && ((position: number) => { const e = fed.get(position); return e ? naming.indexOf!(e.index) : undefined; });
  const attemptsBefore = (position: number) => fed.get(position)?.attempt ?? 0;
  // Completion order: a retried item finishes after later ones, and the journal re-orders for -k.
  // One item per task: a task's attempt number is one for all its items, and an
  // item fed again must see its own (currentTask().attempt 2, 3...).
  const inner = { ...opts, [JOB_NAMING]: { ...naming, keyOf, indexOf, attemptsBefore }, ordered: false, chunksize: 1 };
  for await (const s of pool.imapSettled(name, feed(), inner)) {
    const entry = fed.get(s.index)!;
    fed.delete(s.index);
    outstanding--;
    const kind = s.ok ? undefined : failureKind(s.error);
    if (kind && kinds.has(kind) && entry.attempt < retries) {
      again.push({ ...entry, attempt: entry.attempt + 1 });
      notify();
      continue;
    }
    notify();
    // Field by field: a spread followed by more properties is slow in Node 20's V8 (journaled.ts).
    yield s.ok
      ? { index: entry.index, ok: true, value: s.value, ms: s.ms, workerId: s.workerId, endedAt: s.endedAt }
      : { index: entry.index, ok: false, error: s.error, ms: s.ms, workerId: s.workerId, endedAt: s.endedAt };
  }
}
