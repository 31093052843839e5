#!/usr/bin/env node
/**
 * Bundles the worker's start-up files in place, after `tsc` (part of
 * `npm run build`).
 *
 * Why: every worker process loads dist/worker/worker-entry.js, and Node 20's
 * ESM loader pays a few milliseconds per file it resolves, reads and links.
 * The entry's static graph is about twenty small files, which took 15-20 ms of
 * a worker's start-up on top of Node's own. Bundled, it is one file.
 *
 * What is bundled: worker-entry.js with its static imports, both ports and
 * the framing code the process port needs. No bundled file may import
 * `node:net` (its import would be hoisted into every worker, threads too):
 * the process port fetches it with `process.getBuiltinModule` once it has
 * sent `ready` (worker/command-reader.ts).
 *
 * What stays a separate file, imported by the bundle at run time:
 * - dist/shared/** (the shared-object runtime, loaded only when a task brings
 *   a shared object);
 * - packages (tsx, loaded only for TypeScript task modules) and node: builtins.
 *
 * Modules copied into the bundle keep no state that must be one with their
 * other copies: the worker's state lives on globalThis under registry
 * symbols (task-context.ts, moved.ts), because a task module's own
 * `import 'forkpool/worker'` loads a second copy anyway.
 *
 * Correctness never depends on this step: the unbundled tsc output is the
 * same program, only slower to start. Running it twice is harmless (a bundle
 * has no relative imports left but the external ones).
 */
import { bundleInPlace } from './bundle-in-place.mjs';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const workerDir = resolve(dist, 'worker');
const ROOTS = ['worker-entry.js'].map((f) => resolve(workerDir, f));
const SHARED = resolve(dist, 'shared') + sep;

/** Keeps relative imports of another root and of dist/shared/ as imports, rewritten for dist/worker/. */
const keepSeparate = (root) => ({
  name: 'keep-separate',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      const separate = (ROOTS.includes(target) && target !== root) || target.startsWith(SHARED);
      if (!separate) return undefined;
      let spec = relative(workerDir, target).split(sep).join('/');
      if (!spec.startsWith('.')) spec = `./${spec}`;
      return { path: spec, external: true };
    });
  },
});

await bundleInPlace(ROOTS, keepSeparate);
console.log(`bundled ${ROOTS.map((r) => relative(dirname(dist), r)).join(', ')}`);
