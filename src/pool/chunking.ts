/**
 * How many items travel in one message.
 */

/** CPython's default for `map`: about four chunks per worker. */
export function defaultMapChunksize(length: number, processes: number): number {
  if (length === 0) return 1;
  return Math.max(1, Math.ceil(length / (4 * processes)));
}

/** Splits an array of argument lists into chunks of `size`. */
export function* chunksOf<T>(items: readonly T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
