/**
 * Argument checks inside the hub. Arguments from workers are untrusted (a
 * proxy from another forkpool version, a bug), so each state object checks
 * what it uses and fails that one call with a message naming the value.
 */
import { invalidArg, show } from '../../errors.js';

export function int(v: unknown, name: string, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw invalidArg(TypeError, `Expected \`${name}\` of ${what} to be an integer, got ${show(v)}`);
  }
  return v;
}

export function key(v: unknown, what: string): string {
  if (typeof v !== 'string') throw invalidArg(TypeError, `Expected the key of ${what} to be a string, got ${show(v)}`);
  return v;
}

export function unknownOp(label: string, op: string): never {
  throw invalidArg(TypeError, `${label} has no operation ${show(op)}`);
}
