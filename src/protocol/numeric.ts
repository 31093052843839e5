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

/**
 * The chunk as a Float64Array, if it is long enough and every item is a
 * number; undefined otherwise. One pass: checking every item and then
 * copying them all read a million-item chunk twice.
 */
export function numericChunk(items: readonly unknown[]): Float64Array | undefined {
  const n = items.length;
  if (n < NUMERIC_CHUNK_MIN || typeof items[0] !== 'number') return undefined;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v = items[i];
    if (typeof v !== 'number') return undefined;
    out[i] = v;
  }
  return out;
}
