/**
 * How items are handed to the pool: chunk size, read-ahead and pace.
 *
 * A known total is cut into about 64 chunks per worker (at most 32 items
 * each), which removes most IPC round trips for small items while keeping the
 * tail of the run balanced. A crash, a timeout or a memory kill in a chunk
 * fails only the item it hit: local workers log each finished item (the
 * pool's item log, engine/split.ts). Through Redis a job has no such log, so
 * with --timeout items go one by one there. An input of
 * unknown length (stdin) is first read for a moment to learn which case it is.
 */
import { availableParallelism } from 'node:os';
import { longTimeout, type LongTimer } from '../util/timers.js';
import type { RunConfig } from './args.js';

/**
 * Chunks the pool may hold per worker (per item a worker runs at once, with
 * `--concurrency`). Results that workers finished but the
 * runner has not journaled yet are re-run after a crash of the runner, so
 * this is kept small: one chunk running and one waiting per worker keeps
 * every worker fed (the input is read in this process, so it is never late),
 * and after Ctrl-C at most one more chunk per worker starts.
 */
export const READ_AHEAD_CHUNKS_PER_WORKER = 2;
/** Largest chunk `--chunksize auto` picks. */
const AUTO_CHUNK_MAX = 32;
const AUTO_CHUNKS_PER_WORKER = 64;
/**
 * `--redis`: a chunk is a job through Redis (a few ms of round trip), so
 * chunks are larger, and the nodes' slots are not known before the run
 * starts: plan for this many (their heartbeats give the real number later).
 */
const DISTRIBUTED_CHUNK_MAX = 1000;
const DISTRIBUTED_CHUNKS_PER_SLOT = 8;
const DISTRIBUTED_NOMINAL_SLOTS = 16;
/**
 * How long stdin is read before the run starts to size chunks: enough for a
 * fast producer (`seq`, `cat`) to fill the sample, short enough that a slow
 * one (`tail -f`) is not kept waiting; a slow producer gets chunks of 1.
 */
const PEEK_MS = 200;

export interface Plan { chunksize: number; readAhead: number }

export function workersOf(config: RunConfig): number {
  if (config.backend !== undefined) return DISTRIBUTED_NOMINAL_SLOTS;
  return config.processes ?? availableParallelism();
}

/** Items that can run at once: each worker runs `--concurrency` of them. */
function slotsOf(config: RunConfig): number {
  return workersOf(config) * (config.concurrency ?? 1);
}

export function plan(config: RunConfig, total: number | undefined): Plan {
  const slots = slotsOf(config);
  // Paced starts: the pool holds one item per worker, so an item handed over starts at once.
  if (config.delay !== undefined) return { chunksize: 1, readAhead: slots };
  if (config.chunksize !== 'auto') return { chunksize: config.chunksize, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * slots * config.chunksize };
  // Through Redis, a job is judged whole: with --timeout one item per job,
  // two jobs per nominal slot (--max-memory belongs to the nodes there).
  if (config.backend !== undefined && config.timeout !== undefined) {
    return { chunksize: 1, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * slots };
  }
  // --concurrency: a worker running several tasks keeps no item log, so a
  // crash would fail a chunk whole, its finished items too; such items mostly
  // wait, and one per task costs them nothing that shows.
  if ((config.concurrency ?? 1) > 1) return { chunksize: 1, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * slots };
  const span = chunkFor(config, total);
  return { chunksize: span, readAhead: READ_AHEAD_CHUNKS_PER_WORKER * slots * span };
}

/** The chunk `--chunksize auto` cuts for this input. */
function chunkFor(config: RunConfig, total: number | undefined): number {
  if (total === undefined) return 1;
  if (config.backend !== undefined) {
    return Math.min(DISTRIBUTED_CHUNK_MAX, Math.max(1, Math.floor(total / (DISTRIBUTED_NOMINAL_SLOTS * DISTRIBUTED_CHUNKS_PER_SLOT))));
  }
  return Math.min(AUTO_CHUNK_MAX, Math.max(1, Math.floor(total / (slotsOf(config) * AUTO_CHUNKS_PER_WORKER))));
}

/**
 * Reads the start of an input of unknown length: until it ends (then its
 * total is known), until it is clearly long (enough items for the largest
 * auto chunk), or for `PEEK_MS`. Returns the same items, and the total
 * when the input ended — or a stand-in total that yields the largest chunk.
 */
export async function peek(items: AsyncIterable<unknown>, config: RunConfig): Promise<{ items: AsyncIterable<unknown>; total: number | undefined; sizing: number | undefined }> {
  const enough = slotsOf(config) * AUTO_CHUNKS_PER_WORKER * AUTO_CHUNK_MAX;
  const it = items[Symbol.asyncIterator]();
  const head: unknown[] = [];
  const deadline = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), PEEK_MS).unref());
  let pending: Promise<IteratorResult<unknown>> | undefined;
  let ended = false;
  while (head.length < enough) {
    pending ??= it.next();
    const r = await Promise.race([pending, deadline]);
    if (r === 'late') break;
    pending = undefined;
    if (r.done) { ended = true; break; }
    head.push(r.value);
  }
  const held = pending;
  async function* all(): AsyncGenerator<unknown> {
    yield* head;
    if (ended) return;
    if (held) {
      const r = await held;
      if (r.done) return;
      yield r.value;
    }
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  return { items: all(), total: ended ? head.length : undefined, sizing: ended ? head.length : head.length >= enough ? enough : undefined };
}

/**
 * `--delay` / `--max-rate`: at least `ms` between two items handed to the pool
 * (which start them at once). A stop (`stopped` settles) ends the wait and
 * clears its timer, which would otherwise keep the process alive.
 */
export async function* paced(items: AsyncIterable<unknown>, ms: number, stopped?: Promise<unknown>): AsyncGenerator<unknown> {
  let last = -Infinity;
  for await (const item of items) {
    const wait = last + ms - performance.now();
    if (wait > 0) {
      // longTimeout: a plain setTimeout past 24.8 days fires at once (`--delay 600h`).
      let timer: LongTimer | undefined;
      await Promise.race([new Promise<void>((resolve) => { timer = longTimeout(resolve, wait); }), stopped]);
      timer!.clear();
    }
    last = performance.now();
    yield item;
  }
}
