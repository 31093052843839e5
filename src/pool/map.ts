/**
 * The chunk scheduler behind map/starmap/mapAsync.
 *
 * Without an explicit `chunksize`, the chunk size adapts: one small probe
 * chunk per slot measures the task's cost, then each further chunk holds about
 * TARGET_CHUNK_MS of work by the latest estimate (at most CPython's
 * remaining / (4 × slots), so every slot gets several). It keeps a few chunks
 * per slot in flight and sizes each new one from the latest estimate, so a
 * probe measured on a cold worker only misjudges the next chunk or two.
 * With a fixed chunk size, every chunk is submitted at once.
 *
 * The map's later chunks are submitted as results come in: it holds a lease,
 * so they are still welcome after close(), and join() waits for the whole map.
 */
import type { CallLease, Engine } from '../engine/engine.js';
import { Task } from '../engine/task.js';
import type { CallSettings } from '../call-options.js';
import { PROBE_CHUNK, adaptiveChunksize, defaultMapChunksize, nextPerItemMs } from './chunking.js';

/** Adaptive map: chunks in flight per slot once the task's cost is known. */
const CHUNKS_IN_FLIGHT_PER_SLOT = 2;

export interface MapPlan {
  name: string;
  items: unknown[];
  spread: boolean;
  call: CallSettings;
  /** A fixed chunk size, or undefined for the adaptive default. */
  chunksize: number | undefined;
  /** The call's timeout covers each item of an adaptive chunk, not the whole chunk. */
  itemTimeout?: boolean;
}

/** Runs every item; calls exactly one of `succeed` (all values, input order) or `fail` (the first failure). */
export function runMap<R>(engine: Engine, plan: MapPlan, succeed: (values: R[]) => void, fail: (err: unknown) => void): void {
  const { name, items, spread, call } = plan;
  let lease: CallLease | undefined;
  try { lease = engine.openCall(); } catch { /* refused: the first chunk reports why */ }
  const n = items.length;
  const out = new Array<R>(n);
  const slots = engine.capacity;
  // Small inputs get small probes, so even 4 slow items spread over the slots.
  const probe = Math.min(PROBE_CHUNK, defaultMapChunksize(n, slots));
  let left = n;
  let failed = false;
  let next = 0;
  let outstanding = 0;
  /** Estimated run time of one item (see nextPerItemMs: pauses in a chunk do not inflate it). */
  let perItemMs: number | undefined;
  if (n === 0) {
    lease?.release();
    return succeed(out);
  }

  const submitChunk = (size: number) => {
    const offset = next;
    const chunk = items.slice(offset, offset + size);
    next += chunk.length;
    const task = new Task({
      // With retries, a crashed chunk runs again only its running item (engine/split.ts), not the items it had finished.
      name, items: chunk, first: offset, spread, itemTimeout: plan.itemTimeout, itemLog: call.retries > 0 && engine.itemLogs, ...call,
      sink: (result, info) => {
        outstanding--;
        if (failed) return;
        if (result instanceof Error || result.errors) {
          failed = true;
          lease?.release();
          return fail(result instanceof Error ? result : result.errors![0]![1]);
        }
        if (plan.chunksize === undefined) {
          perItemMs = nextPerItemMs(perItemMs, info.ms / chunk.length);
          fill();
        }
        const values = result.values;
        if (values instanceof Float64Array) copyNumbers(out as unknown[], offset, values);
        else copyValues(out as unknown[], offset, values);
        left -= values.length;
        if (left === 0) {
          lease?.release();
          succeed(out);
        }
      },
    });
    outstanding++;
    // map holds all its input already; it waits for queue room rather than failing part-way.
    void engine.submit(task, { wait: true, lease });
  };
  const fill = () => {
    const window = perItemMs === undefined ? slots : CHUNKS_IN_FLIGHT_PER_SLOT * slots;
    while (!failed && next < n && outstanding < window) {
      submitChunk(perItemMs === undefined ? probe : adaptiveChunksize(perItemMs, n - next, slots));
    }
  };
  if (plan.chunksize !== undefined) {
    while (!failed && next < n) submitChunk(plan.chunksize);
  } else {
    fill();
  }
}

// Two loops, each seeing one kind of source: one loop over both reads every
// element through a polymorphic access, and it runs only a few times per map,
// too few to be optimised for both.
function copyNumbers(out: unknown[], offset: number, values: Float64Array): void {
  for (let i = 0; i < values.length; i++) out[offset + i] = values[i];
}

function copyValues(out: unknown[], offset: number, values: ArrayLike<unknown>): void {
  for (let i = 0; i < values.length; i++) out[offset + i] = values[i];
}
