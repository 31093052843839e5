#!/usr/bin/env node
/**
 * Bundles the `forkpool` command (dist/cli/main.js) in place, after `tsc`
 * and the worker bundle (part of `npm run build`).
 *
 * Why: the command resolved, read and linked about 140 small files before it
 * did anything, and Node 20's ESM loader pays for each: `forkpool --help`
 * took about 330 ms against 140 for `node -e 0`, and every `forkpool run` paid
 * it. Bundled, the command loads a few dozen files.
 *
 * Why not dist/index.js (`import 'forkpool'`, 180-360 ms, 75-145 bundled):
 * tsx, the usual way to run TypeScript, transforms every file it loads and
 * keeps a source map of each; for one 330 KB bundle that map is 580 KB, and
 * the first stack trace with a frame in it (an aborted map, a failed task)
 * parsed it on the event loop: 170-350 ms, during which a map's abort did
 * not reach its workers. Per-file maps cost a few ms. The command runs under
 * plain node.
 *
 * What stays a separate file, imported by the bundle at run time:
 * - dist/shared/** (the shared objects) and what they import (errors.js,
 *   two utilities): the worker bundle and tests import those files
 *   themselves, and a Manager made by one copy of their code must be
 *   recognised by the code that sends it, an error class be the one the
 *   caller imported: one copy of each.
 * - packages (bullmq, ioredis, tsx, loaded lazily) and node: builtins.
 *
 * `new URL('<relative>', import.meta.url)` (the worker entry's path, the
 * package.json) is rewritten for where the bundle sits; any other use of
 * `import.meta` fails the build rather than resolve against the wrong folder.
 * The other files of dist/ stay as tsc wrote them.
 *
 * Correctness never depends on this step: the unbundled tsc output is the
 * same program, only slower to load.
 */
import { bundleInPlace } from './bundle-in-place.mjs';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const ROOTS = ['cli/main.js'].map((f) => resolve(dist, f));
const SHARED = resolve(dist, 'shared') + sep;

/** Relative imports (static and dynamic) of one compiled file, resolved. */
const importsOf = (file) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g)]
  .map((m) => resolve(dirname(file), m[1]));

/**
 * Files that must stay separate: dist/shared/ and everything it imports
 * (errors.js above all: `instanceof QueueFullError` must hold for an error a
 * Queue threw, whichever file the caller took the class from).
 */
const SEPARATE = new Set();
const walk = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (p.endsWith('.js')) SEPARATE.add(p);
  }
};
walk(SHARED);
for (const todo = [...SEPARATE]; todo.length > 0;) {
  for (const target of importsOf(todo.pop())) {
    if (!SEPARATE.has(target)) { SEPARATE.add(target); todo.push(target); }
  }
}
for (const root of ROOTS) if (SEPARATE.has(root)) throw new Error(`${root} is imported by dist/shared: it cannot be bundled`);

const spec = (fromDir, target) => {
  const s = relative(fromDir, target).split(sep).join('/');
  return s.startsWith('.') ? s : `./${s}`;
};

const forOutput = (outfile) => ({
  name: 'main-bundle',
  setup(b) {
    // dist/shared/ and its imports stay separate: imported from the bundle's own folder.
    b.onResolve({ filter: /^\.\.?\// }, (args) => {
      const target = resolve(args.resolveDir, args.path);
      if (!SEPARATE.has(target)) return undefined;
      return { path: spec(dirname(outfile), target), external: true };
    });
    // import.meta.url is the bundle's URL once bundled: re-aim relative URLs at the same files.
    b.onLoad({ filter: /\.js$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      if (!source.includes('import.meta')) return undefined;
      const rewritten = source.replace(/new URL\((['"])(\.\.?\/[^'"]+)\1, import\.meta\.url\)/g, (_, q, rel) => {
        return `new URL(${q}${spec(dirname(outfile), resolve(dirname(args.path), rel))}${q}, import.meta.url)`;
      });
      const left = rewritten.replace(/new URL\((['"])[^'"]+\1, import\.meta\.url\)/g, '');
      if (/import\.meta/.test(left.replace(/\/\/# sourceMappingURL=.*$/m, '').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
        throw new Error(`${args.path}: a use of import.meta this bundler cannot re-aim (only new URL('./relative', import.meta.url))`);
      }
      return { contents: rewritten, loader: 'js', resolveDir: dirname(args.path) };
    });
  },
});

await bundleInPlace(ROOTS, forOutput);
console.log(`bundled ${ROOTS.map((r) => relative(dirname(dist), r)).join(', ')}`);
