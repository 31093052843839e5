// Lazy-map throughput of cheap items: imap, imapUnordered and imapSettled,
// with their default chunk and with an explicit one, beside Python's imap
// (default chunksize=1, and chunksize=256).
//
//   npm run build && node bench/imap-throughput.mjs [--rounds 3] [--items 1000000] [--runtime process|thread] [--dist dir]
//
// Each row: a fresh 2-worker pool (ready before the clock starts), one pass
// over --items numbers through the `noop` task; items/s, the median over
// --rounds, rows interleaved so a slow minute hits every row alike. Python's
// rows run --items / 10 items (its default chunk is 50 times slower).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const rounds = Number(arg('--rounds', 3));
const n = Number(arg('--items', 1_000_000));
const runtime = arg('--runtime', 'process');
const dist = arg('--dist', fileURLToPath(new URL('../dist', import.meta.url)));
const { Pool } = await import(`${dist}/index.js`);
const TASKS = new URL('./workers/tasks.mjs', import.meta.url);

const ROWS = {
  'imap': ['imap', {}],
  'imap chunksize 255': ['imap', { chunksize: 255 }],
  'imapUnordered': ['imapUnordered', {}],
  'imapSettled': ['imapSettled', {}],
  'imapSettled chunksize 255': ['imapSettled', { chunksize: 255 }],
};
const items = Array.from({ length: n }, (_, i) => i);
const rates = Object.fromEntries(Object.keys(ROWS).map((k) => [k, []]));
for (let r = 0; r < rounds; r++) {
  for (const [row, [method, options]] of Object.entries(ROWS)) {
    const pool = new Pool(TASKS, { processes: 2, runtime, logs: 'silent' });
    await pool.ready();
    // One item per task is slow: those rows run a tenth of the items.
    const count = method === 'imapSettled' && !options.chunksize ? n / 10 : n;
    const t0 = performance.now();
    let seen = 0;
    for await (const _ of pool[method]('noop', items.slice(0, count), options)) seen++;
    const s = (performance.now() - t0) / 1000;
    if (seen !== count) throw new Error(`${row}: ${seen} of ${count} items`);
    rates[row].push(count / s);
    await pool.terminate();
  }
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[s.length >> 1]; };
const fmt = (x) => `${(x / 1e6).toFixed(2)}M`;
console.log(`${n.toLocaleString('en-US')} cheap items, 2 workers (${runtime}), items/s, median of ${rounds} (range)`);
for (const [row, xs] of Object.entries(rates)) console.log(`${row.padEnd(28)} ${fmt(median(xs))} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`);

const py = spawnSync('python3', ['-c', `
import multiprocessing as mp, time
def noop(x): return x
if __name__ == '__main__':
    N = ${Math.round(n / 10)}
    with mp.Pool(2) as p:
        p.map(noop, range(100))
        for cs in (1, 256):
            t = time.perf_counter()
            for _ in p.imap(noop, range(N), chunksize=cs): pass
            print(f'python imap chunksize={cs}'.ljust(29) + f'{N / (time.perf_counter() - t) / 1e6:.2f}M')
`], { encoding: 'utf8' });
console.log(py.status === 0 ? py.stdout.trimEnd() : `python3 failed: ${py.stderr || py.error}`);
