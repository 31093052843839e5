import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
/** sha256sum's line for one file. */
export function sha(path) {
  return `${createHash('sha256').update(readFileSync(path)).digest('hex')}  ${path}`;
}
