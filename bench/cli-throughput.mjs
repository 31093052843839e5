// Items per second of `forkpool run` over a trivial function, by the flags
// that change its per-item path: plain output, JSON Lines output (which
// journals by default), a journal,
// and --timeout / --max-memory. The runner's main thread
// is the bottleneck for items this small, so this measures its bookkeeping.
//
//   npm run build && node bench/cli-throughput.mjs [--items 50000] [--runs 5] [-j 2] [--dist dir,dir2]
//
// `--dist` compares builds (each a copy of `dist/`), alternating them run by
// run so the host's drift hits both alike; medians of `--runs`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: {
  items: { type: 'string', default: '50000' }, runs: { type: 'string', default: '5' }, j: { type: 'string', default: '2' },
  dist: { type: 'string', default: join(ROOT, 'dist') }, only: { type: 'string' },
} });
const ITEMS = Number(values.items);
const RUNS = Number(values.runs);
const dists = values.dist.split(',');
const dir = mkdtempSync(join(tmpdir(), 'forkpool-cli-tp-'));
writeFileSync(join(dir, 'trivial.mjs'), 'export function square(x) { const n = Number(x); return n * n; }\n');
writeFileSync(join(dir, 'in.txt'), Array.from({ length: ITEMS }, (_, i) => `${i}\n`).join(''));

const CASES = {
  plain: [],
  // -o to a file journals by default (<output>.journal).
  'jsonl+journal': ['-o', join(dir, 'out.jsonl'), '--force'],
  journal: ['--journal', join(dir, 'run.journal'), '--force'],
  timeout: ['--timeout', '10s'],
  'max-memory': ['--max-memory', '1GB'],
};
const cases = values.only ? values.only.split(',') : Object.keys(CASES);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const seconds = {};
for (let r = 0; r < RUNS; r++) {
  for (const name of cases) {
    for (const dist of dists) {
      const t0 = process.hrtime.bigint();
      const res = spawnSync(process.execPath, [join(dist, 'cli/main.js'), 'run', `${join(dir, 'trivial.mjs')}#square`,
        '--input', join(dir, 'in.txt'), '-j', values.j, '--no-progress', ...CASES[name]], { stdio: ['ignore', 'ignore', 'pipe'] });
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (res.status !== 0) throw new Error(`${name} with ${dist} exited ${res.status}: ${res.stderr.toString().slice(-1000)}`);
      ((seconds[name] ??= {})[dist] ??= []).push(s);
    }
  }
}
rmSync(dir, { recursive: true, force: true });
console.log(`forkpool run, ${ITEMS.toLocaleString('en-US')} items, -j ${values.j}, median of ${RUNS} runs (items/s)`);
console.log(['case', ...dists].join(' | '));
for (const name of cases) {
  console.log([name, ...dists.map((d) => `${Math.round(ITEMS / median(seconds[name][d])).toLocaleString('en-US')} (${median(seconds[name][d]).toFixed(2)} s)`)].join(' | '));
}
