import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of the compiled worker entry, in dist/worker beside this file's dist/runtime. */
export function workerEntryPath(): string {
  return fileURLToPath(new URL('../worker/worker-entry.js', import.meta.url));
}

/** Set once the entry was found: it does not move while the process runs. */
let entryFound = false;

/**
 * Throws a clear error when the worker entry file is missing — checked when a
 * pool is created, because a missing entry otherwise shows up only as every
 * worker exiting at start (`PoolBrokenError` with no cause).
 *
 * The usual reason is a bundler: it inlines forkpool into the app's bundle, so
 * `import.meta.url` points at the bundle, and the worker entry — a file that
 * forkpool starts with `node`, never imports — is not copied beside it.
 */
export function checkWorkerEntry(): void {
  if (entryFound) return;
  const path = workerEntryPath();
  if (existsSync(path)) {
    entryFound = true;
    return;
  }
  const err = new Error(
    `forkpool cannot find its worker entry: ${path} does not exist. ` +
      'forkpool starts every worker from this file, so it must stay in node_modules/forkpool/dist/worker; ' +
      'this usually means forkpool was bundled into your app. Mark it external so it loads from node_modules ' +
      "(esbuild: --external:forkpool; Rollup/Vite: external: ['forkpool']; webpack: externals) and ship node_modules/forkpool " +
      'with the bundle, or see docs/bundling.md.',
  );
  Object.defineProperty(err, 'code', { value: 'ERR_FORKPOOL_WORKER_ENTRY_MISSING', enumerable: true });
  throw err;
}
