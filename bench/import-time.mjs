// Time to `import 'forkpool'` in a fresh process, against piscina's import,
// side by side: each row in its own `node` process, rows interleaved run by
// run so the host's drift hits all alike. Also under tsx (the usual way to
// run TypeScript, which may rewrite what it loads), with the first stack
// trace through the library (under tsx, Node reads source maps then).
//
//   npm run build && node bench/import-time.mjs [--runs 7] [--dist dir,dir2] [--no-tsx]
//
// `--dist` compares builds (each a copy of `dist/` beside a package.json, or
// a checkout's dist/); medians (min–max) of --runs, in ms.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: {
  runs: { type: 'string', default: '7' }, dist: { type: 'string', default: join(ROOT, 'dist') }, 'no-tsx': { type: 'boolean', default: false },
} });
const RUNS = Number(values.runs);
const require = createRequire(import.meta.url);
const TSX = require.resolve('tsx');

// Prints "<import ms> <first stack ms>": the stack comes from a TypeError the Pool constructor throws.
const probe = (href) => `const t0 = performance.now();
const m = await import(${JSON.stringify(href)});
const t1 = performance.now();
let s = '';
if (m.Pool) { try { new m.Pool(42); } catch (e) { const t2 = performance.now(); s = e.stack; console.log((t1 - t0).toFixed(1), (performance.now() - t2).toFixed(1)); } }
else console.log((t1 - t0).toFixed(1), '-');`;

const rows = [
  ...values.dist.split(',').map((d) => ({ name: `forkpool ${d}`, href: pathToFileURL(join(d, 'index.js')).href })),
  { name: 'piscina', href: pathToFileURL(require.resolve('piscina')).href },
];
const modes = values['no-tsx'] ? ['node'] : ['node', 'tsx'];
const results = new Map();
for (let run = 0; run < RUNS; run++) {
  for (const mode of modes) {
    for (const row of rows) {
      const args = mode === 'tsx' ? ['--import', TSX, '--input-type=module', '-e', probe(row.href)] : ['--input-type=module', '-e', probe(row.href)];
      const r = spawnSync(process.execPath, args, { encoding: 'utf8', cwd: ROOT });
      if (r.status !== 0) throw new Error(`${row.name} (${mode}): ${r.stderr}`);
      const [imp, stack] = r.stdout.trim().split(' ');
      const key = `${row.name} | ${mode}`;
      if (!results.has(key)) results.set(key, { imp: [], stack: [] });
      results.get(key).imp.push(Number(imp));
      if (stack !== '-') results.get(key).stack.push(Number(stack));
    }
  }
}
const fmt = (xs) => {
  if (xs.length === 0) return '–';
  const s = [...xs].sort((a, b) => a - b);
  return `${s[s.length >> 1].toFixed(1)} (${s[0].toFixed(1)}–${s.at(-1).toFixed(1)})`;
};
console.log(`Node ${process.version}, medians (min–max) of ${RUNS} runs, ms`);
console.log('| import | runner | import ms | first stack trace ms |');
console.log('| --- | --- | --- | --- |');
for (const [key, { imp, stack }] of results) console.log(`| ${key} | ${fmt(imp)} | ${fmt(stack)} |`);
