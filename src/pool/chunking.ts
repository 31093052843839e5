/**
 * How many items travel in one message.
 */
import type { ChunkHint } from '../engine/engine.js';

/** Items in the first chunk of a map, per worker, sent to measure the task's cost. */
export const PROBE_CHUNK = 16;
/** Work per chunk the adaptive default aims for: big enough that messaging is noise, small enough to balance. */
export const TARGET_CHUNK_MS = 4;

/** How far a dearer chunk moves the per-item estimate up (a cheaper one moves it all the way down). */
const ESTIMATE_RISE = 0.25;

/**
 * The per-item cost estimate after one more chunk. A chunk's run time also
 * holds pauses that do not grow with its size: a garbage collection, or code
 * still running unoptimised on a worker that just started. With 25 ns items,
 * one such 5 ms pause made a 7,600-item chunk look 30 times dearer than it
 * was, and the map went on in chunks a tenth of the size it needed. So a
 * cheaper measurement is taken at once, and a dearer one only in part: a
 * task that really became dearer is followed within a few chunks, and no
 * chunk outgrows CPython's size anyway.
 */
export function nextPerItemMs(previous: number | undefined, measured: number): number {
  if (previous === undefined || measured <= previous) return measured;
  return previous + ESTIMATE_RISE * (measured - previous);
}

/** CPython's default for `map`: about four chunks per worker. */
export function defaultMapChunksize(length: number, processes: number): number {
  if (length === 0) return 1;
  return Math.max(1, Math.ceil(length / (4 * processes)));
}

/**
 * The adaptive default (joblib's idea): about TARGET_CHUNK_MS of work per
 * chunk, measured from the probe, and never above CPython's size so every
 * worker still gets several chunks.
 */
export function adaptiveChunksize(perItemMs: number, remaining: number, processes: number): number {
  return targetChunksize(perItemMs, defaultMapChunksize(remaining, processes));
}

/** Items that make about TARGET_CHUNK_MS of work at `perItemMs` each, between 1 and `cap` (`cap` when the estimate is 0). */
export function targetChunksize(perItemMs: number, cap: number): number {
  if (!(perItemMs > 0)) return cap;
  return Math.max(1, Math.min(cap, Math.round(TARGET_CHUNK_MS / perItemMs)));
}

/**
 * One chunk size chosen before anything ran (a journaled map records each
 * item only when its chunk comes back, so the size also bounds what a crash
 * makes run again): the engine's hint, never more than the input needs.
 */
export function upfrontChunksize(length: number, slots: number, hint: ChunkHint): number {
  return Math.min(hint.maxItems, Math.max(1, Math.floor(length / (Math.max(1, slots) * hint.chunksPerSlot))));
}
