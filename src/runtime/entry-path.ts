import { fileURLToPath } from 'node:url';

/** Absolute path of the compiled worker entry, next to this file in dist/runtime. */
export function workerEntryPath(): string {
  return fileURLToPath(new URL('./worker-entry.js', import.meta.url));
}
