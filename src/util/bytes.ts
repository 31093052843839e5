/**
 * Sizes in bytes from numbers or strings such as '512MB', checked so that a
 * value that rounds to nothing or is beyond exact integers is refused.
 */
import { invalidArg, show } from '../errors.js';

/** Below this, a bare Node worker (about 45 MB RSS) would be over its cap before it runs a task. */
const MIN_MEMORY_CAP_BYTES = 32 * 1024 * 1024;

export function memoryCap(name: string, v: unknown): number {
  const bytes = parseBytes(name, v);
  if (bytes < MIN_MEMORY_CAP_BYTES) {
    throw invalidArg(RangeError, `Expected \`${name}\` to be at least 32MB (a bare Node worker uses about 45 MB), got ${show(v)}`);
  }
  return bytes;
}

const UNITS: Record<string, number> = {
  b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
  k: 1024, m: 1024 ** 2, g: 1024 ** 3,
};

/** Parses `512MB`, `1.5GiB`, `300m` or a number of bytes. */
export function parseBytes(name: string, v: unknown): number {
  let bytes: number | undefined;
  if (typeof v === 'number') bytes = Math.floor(v);
  else if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    // Own keys only: a unit such as 'constructor' must not be found on the prototype.
    const unit = m && Object.hasOwn(UNITS, (m[2] || 'b').toLowerCase()) ? UNITS[(m[2] || 'b').toLowerCase()] : undefined;
    if (m && unit !== undefined) bytes = Math.floor(Number(m[1]) * unit);
  }
  // Rounded down to 0 (0.5, '0.0000001KB') or beyond exact integers ('99999999999999999999999TB'): refuse.
  if (bytes !== undefined && bytes >= 1 && Number.isSafeInteger(bytes)) return bytes;
  throw invalidArg(RangeError, `Expected \`${name}\` to be a positive number of bytes or a size such as '512MB', got ${show(v)}`);
}
