/**
 * Chunks of numbers cross as Float64Arrays (`WireTask.mf`, `done.vf`).
 *
 * Why: the V8 serializer writes a plain array element by element, each
 * tagged, and reading a million of them back was a quarter of the main
 * process's time in a 1M-item map. A typed array crosses as one block of
 * raw bytes. Every JavaScript number is a double, so nothing changes on the
 * way: NaN, -0, infinities and integers up to 2^53 come back as they went.
 */

/** Below this many items a chunk goes as a plain array: the check and the copy cost more than they save. */
export const NUMERIC_CHUNK_MIN = 16;

/** The chunk is long enough and every item is a number. */
export function numeric(items: readonly unknown[]): boolean {
  if (items.length < NUMERIC_CHUNK_MIN) return false;
  for (let i = 0; i < items.length; i++) if (typeof items[i] !== 'number') return false;
  return true;
}
