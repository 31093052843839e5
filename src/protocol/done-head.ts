/**
 * A `done` whose value goes through V8 carries, ahead of the V8 bytes, the
 * task it settles and the task its worker starts next (`nx`).
 *
 * Why: a result the worker could serialize may still fail to deserialize in
 * the parent (nested deeper than the parent's stack follows). Without this
 * head, the parent knew only that some frame was lost: it had to kill the
 * worker, and the task the worker had started next (named only by the lost
 * `nx`) died with it, or, taken for unstarted, could run a second time
 * elsewhere. With it, the parent fails that one task with DataCloneError,
 * records the next one's start, and the worker goes on: the stream is still
 * in step. A head naming no task the worker holds is garbage: the worker is
 * killed as for any frame that does not decode.
 *
 * Layout of the payload (after the frame's length prefix), little-endian:
 *   [0x07][id: f64][nx: f64, NaN for none][the V8 payload of the whole event]
 */
import type { LostResult } from './undecodable.js';

export const DONE_V8 = 0x07;
export const DONE_HEAD_BYTES = 1 + 2 * 8;

/** A `done` event: it gets a head (the parent never sends one). */
export function isDone(message: unknown): message is { t: 'done'; id: number; nx?: number } {
  const m = message as { t?: unknown; id?: unknown } | null;
  return m !== null && typeof m === 'object' && m.t === 'done' && typeof m.id === 'number';
}

/** Writes the head for `event` (a `done`) into `out` at `at`. */
export function writeDoneHead(event: { id: number; nx?: number | undefined }, out: Buffer, at: number): void {
  out[at] = DONE_V8;
  out.writeDoubleLE(event.id, at + 1);
  out.writeDoubleLE(event.nx ?? Number.NaN, at + 9);
}

/** Reads the head of a DONE_V8 payload at `at`. */
export function readDoneHead(b: Buffer, at: number): LostResult {
  const nx = b.readDoubleLE(at + 9);
  return { id: b.readDoubleLE(at + 1), nx: Number.isNaN(nx) ? undefined : nx };
}
