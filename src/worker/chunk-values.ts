/**
 * A chunk's results while every one is a number live in the Float64Array
 * that crosses to the parent (see WireTask.mf); these turn them into an
 * ordinary array at the first result that is not.
 */

/** A chunk's values while they are all numbers (they live in a Float64Array then): never written. */
export const NO_VALUES: unknown[] = Object.freeze([]) as unknown as unknown[];

/** The first `upTo` numbers of `vf` as the start of an array of its length (the rest to be filled). */
export function valuesOf(vf: Float64Array, upTo: number): unknown[] {
  const values = new Array<unknown>(vf.length);
  for (let k = 0; k < upTo; k++) values[k] = vf[k];
  return values;
}
