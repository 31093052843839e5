/**
 * Number checks shared by the pool's and the calls' options: each error names
 * the option and the value received.
 */
import { invalidArg, show } from '../errors.js';

export function positiveInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (v === Infinity && dflt === Infinity) return v;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a positive integer, got ${show(v)}`);
  }
  return v;
}

export function nonNegativeInt(name: string, v: unknown, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a non-negative integer, got ${show(v)}`);
  }
  return v;
}

export function positiveNumber(name: string, v: unknown, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a number >= ${min}, got ${show(v)}`);
  }
  return v;
}

export function timeoutMs(name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v <= 0) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be a positive number of milliseconds, got ${show(v)}`);
  }
  return v;
}
