#!/usr/bin/env node
/**
 * Bundles the library's entry (dist/index.js, what `import 'forkpool'`
 * loads), the `forkpool` command (dist/cli/main.js) and the shared objects
 * (dist/shared/) in place, after `tsc` and the worker bundle (part of
 * `npm run build`).
 *
 * Why: Node 20's ESM loader resolves, reads and links each file on its own,
 * at about 0.7 ms a file here. `import 'forkpool'` loaded 120 files and took
 * 110-130 ms against 30 for piscina; `forkpool --help` loaded 140 (330 ms).
 * Bundled, `import 'forkpool'` loads five files.
 *
 * The three bundles, and what stays one file:
 * - dist/shared/index.js holds every module of dist/shared/. Each other
 *   file there becomes a one-line re-export from it, so whichever path loads
 *   a shared object's code (the library, the command, the worker bundle, a
 *   test) gets the same copy: a Manager is recognised by the code that sends
 *   it, and the hub's resolver is installed once.
 * - errors.js, util/deque.js and util/timers.js (what the shared objects
 *   import from outside dist/shared/) stay files of their own, imported by
 *   every bundle: `instanceof QueueFullError` holds whichever entry the
 *   class came from, 'forkpool/worker' included.
 * - dist/index.js and dist/cli/main.js each hold the rest of their graph.
 *   The command's copy of the pool is its own; it never meets the library's.
 * - packages (bullmq, ioredis, tsx, loaded lazily) and node: builtins stay
 *   imports.
 *
 * No bundle may contain a dynamic `import(`. tsx, the usual way to run
 * TypeScript, rewrites every ES module that has one and gives it a
 * fine-grained source map: for dist/index.js that map was 580 KB, and the
 * first stack trace through the bundle parsed it on the event loop (170-350
 * ms, during which a map's abort did not reach its workers). A file whose
 * only work is the `import(` (cluster/import-package.js) stays a file of its
 * own; any other fails the build. Without it tsx loads the bundle as it is,
 * and the first stack trace reads esbuild's own map (about 30 ms once).
 *
 * `new URL('<relative>', import.meta.url)` (the worker entry's path, the
 * package.json) is rewritten for where the bundle sits; any other use of
 * `import.meta` fails the build rather than resolve against the wrong folder.
 * The other files of dist/ stay as tsc wrote them (tests import some).
 *
 * Correctness never depends on this step: the unbundled tsc output is the
 * same program, only slower to load. Run it on tsc's output only: it stops
 * if dist/shared/ is bundled already.
 */
import { bundleInPlace } from './bundle-in-place.mjs';
import { build } from 'esbuild';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
const ROOTS = ['index.js', 'cli/main.js'].map((f) => resolve(dist, f));
const SHARED = resolve(dist, 'shared') + sep;
const SHARED_BUNDLE = resolve(SHARED, 'index.js');
const MARK = '// forkpool: dist/shared bundle\n';

const jsFiles = (dir) => readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
  const p = join(dir, e.name);
  return e.isDirectory() ? jsFiles(p) : p.endsWith('.js') ? [p] : [];
}).sort();
/** Relative imports (static and dynamic) of one compiled file, resolved. */
const importsOf = (file) => [...readFileSync(file, 'utf8').matchAll(/(?:from|import)\s*\(?\s*['"](\.\.?\/[^'"]+)['"]/g)]
  .map((m) => resolve(dirname(file), m[1]));
const spec = (fromDir, target) => {
  const s = relative(fromDir, target).split(sep).join('/');
  return s.startsWith('.') ? s : `./${s}`;
};
/** Source text without comments, for the checks below. */
const code = (file) => readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, '');

if (readFileSync(SHARED_BUNDLE, 'utf8').startsWith(MARK)) {
  throw new Error('dist/shared/ is bundled already: run tsc first (npm run build)');
}

const sharedFiles = jsFiles(SHARED);
/** What the shared objects import from outside dist/shared/: stays one file each. */
const OWN = new Set();
for (const todo = [...sharedFiles]; todo.length > 0;) {
  for (const target of importsOf(todo.pop())) {
    if (!target.startsWith(SHARED) && !OWN.has(target)) { OWN.add(target); todo.push(target); }
  }
}
// A file whose only work is a dynamic import of a package stays separate (see above).
for (const file of jsFiles(dist)) {
  if (file.startsWith(SHARED) || file.startsWith(resolve(dist, 'worker') + sep) || !/\bimport\s*\(/.test(code(file))) continue;
  if (importsOf(file).length > 0) throw new Error(`${file}: a dynamic import( in a file that imports others; move it into a file of its own (see cluster/import-package.ts)`);
  OWN.add(file);
}
for (const root of ROOTS) if (OWN.has(root)) throw new Error(`${root} is imported by dist/shared: it cannot be bundled`);

/** Every name each shared file exports: its stub re-exports them from the bundle. */
const exportsOf = new Map();
for (const file of sharedFiles) {
  const r = await build({ entryPoints: [file], bundle: false, format: 'esm', metafile: true, write: false, outdir: '/tmp', logLevel: 'warning' });
  exportsOf.set(file, Object.values(r.metafile.outputs).find((o) => o.entryPoint !== undefined)?.exports ?? []);
}

/** Keeps OWN files separate, and sends every import of dist/shared/ to its bundle. */
const imports = (outfile) => (b) => {
  b.onResolve({ filter: /^\.\.?\// }, (args) => {
    const target = resolve(args.resolveDir, args.path);
    if (OWN.has(target)) return { path: spec(dirname(outfile), target), external: true };
    if (target.startsWith(SHARED) && outfile !== SHARED_BUNDLE) return { path: spec(dirname(outfile), SHARED_BUNDLE), external: true };
    return undefined;
  });
};

const forOutput = (outfile) => ({
  name: 'main-bundle',
  setup(b) {
    imports(outfile)(b);
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

// The shared bundle's entry: every shared file's exports, index.js first (its
// order of evaluation). index.js is the public barrel: a name it shares with
// another file must be its re-export of that file; any other name two files
// export would be two bindings under one name in the bundle.
const barrelReexports = new Set([...readFileSync(SHARED_BUNDLE, 'utf8').matchAll(/export\s*{([^}]*)}\s*from/g)]
  .flatMap((m) => m[1].split(',').map((n) => n.trim().split(/\s+as\s+/).pop()).filter(Boolean)));
const taken = new Map();
const entryLines = [];
for (const file of [SHARED_BUNDLE, ...sharedFiles.filter((f) => f !== SHARED_BUNDLE)]) {
  const fresh = [];
  for (const name of exportsOf.get(file)) {
    const first = taken.get(name);
    if (first === undefined) { taken.set(name, file); fresh.push(name); continue; }
    if (first !== SHARED_BUNDLE || !barrelReexports.has(name)) {
      throw new Error(`dist/shared: ${name} is exported by both ${first} and ${file}; rename one`);
    }
  }
  if (fresh.length > 0) entryLines.push(`export { ${fresh.join(', ')} } from ${JSON.stringify(spec(SHARED, file))};`);
}
const sharedEntry = entryLines.join('\n');
const exported = await bundleInPlace([...ROOTS, SHARED_BUNDLE], forOutput, {
  entry: (root) => (root === SHARED_BUNDLE ? { contents: sharedEntry, resolveDir: SHARED } : undefined),
  banner: (root) => (root === SHARED_BUNDLE ? MARK : undefined),
});

// The other shared files now only point at the bundle, so no second copy of their code can load.
// Two files exporting one name from different bindings would leave it out of
// the bundle (an ambiguous `export *`): that fails here, not at a user's import.
const bundled = new Set(exported.get(SHARED_BUNDLE));
for (const [file, names] of exportsOf) {
  const lost = names.filter((n) => !bundled.has(n));
  if (lost.length > 0) throw new Error(`dist/shared: ${lost.join(', ')} (from ${file}) not exported by the bundle: another file exports the same name; rename one`);
}
for (const file of sharedFiles) {
  if (file === SHARED_BUNDLE) continue;
  const names = exportsOf.get(file);
  writeFileSync(file, names.length > 0
    ? `// Bundled into ${spec(dirname(file), SHARED_BUNDLE)} (scripts/bundle-main.mjs).\nexport { ${names.join(', ')} } from ${JSON.stringify(spec(dirname(file), SHARED_BUNDLE))};\n`
    : `// Bundled into ${spec(dirname(file), SHARED_BUNDLE)} (scripts/bundle-main.mjs); it exports no value.\nexport {};\n`);
  rmSync(`${file}.map`, { force: true });
}

for (const root of ROOTS) {
  if (/\bimport\s*\(/.test(code(root))) throw new Error(`${root}: the bundle contains a dynamic import( (see above: tsx would rewrite it)`);
}
console.log(`bundled ${[...ROOTS, SHARED_BUNDLE].map((r) => relative(dirname(dist), r)).join(', ')}`);
