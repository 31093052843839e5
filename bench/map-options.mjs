// map throughput of cheap items with each call option that once forced one
// item per task, side by side: no option, a signal, a timeout, both.
//
//   npm run build && node bench/map-options.mjs [--rounds 5] [--items 100000] [--runtime process|thread]
//
// Each row: a fresh 2-worker pool (ready before the clock starts), one map of
// --items numbers through the `double` task; items/s, the median over --rounds,
// rows interleaved so a slow minute hits every row alike.
import { Pool } from 'forkpool';

const TASKS = new URL('./workers/tasks.mjs', import.meta.url);
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const rounds = Number(arg('--rounds', 5));
const n = Number(arg('--items', 100_000));
const runtime = arg('--runtime', 'process');

const ROWS = {
  'no option': () => ({}),
  'signal': () => ({ signal: new AbortController().signal }),
  'timeout 30 s': () => ({ timeout: 30_000 }),
  'signal + timeout 30 s': () => ({ signal: new AbortController().signal, timeout: 30_000 }),
};

const items = Array.from({ length: n }, (_, i) => i);
const rates = Object.fromEntries(Object.keys(ROWS).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [row, options] of Object.entries(ROWS)) {
    const pool = new Pool(TASKS, { processes: 2, runtime, logs: 'silent' });
    await pool.ready();
    const t0 = performance.now();
    const out = await pool.map('double', items, options());
    const s = (performance.now() - t0) / 1000;
    if (out.length !== n || out[n - 1] !== 2 * (n - 1)) throw new Error(`${row}: wrong results`);
    rates[row].push(n / s);
    await pool.terminate();
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : `${(x / 1e3).toFixed(1)}k`);
console.log(`map of ${n} cheap items, ${runtime} runtime, 2 workers, median of ${rounds} (min–max)`);
for (const [row, xs] of Object.entries(rates)) console.log(`${row.padEnd(24)} ${fmt(median(xs)).padStart(8)} items/s  (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`);
