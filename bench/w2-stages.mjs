// Where W2's round trip goes: each awaited call split at the moment the task
// function starts in the worker (the `stamp` task returns the worker's
// monotonic clock, which every process on the machine shares), into
// "out" (the call to the task's first line) and "back" (its first line to the
// awaited value), for the first and the second 1,000 of 2,000 cold calls.
//
//   npm run build && node bench/w2-stages.mjs [--runs 6] [--node-flags=--no-opt] [--pin]
//
// Each run is a fresh process (as in run.mjs's W2: 200 warm-up calls, then the
// timed ones), rows interleaved. `--node-flags` passes V8 flags to the main
// process of every row (`--no-opt` shows the cost without TurboFan at all).
// `--pin` runs every row on one CPU (`taskset -c 0`): no thread ever waits
// for another CPU to wake, so what is left is each row's own work per call.
// Against an unpinned run it shows how much of W2 is the host's wake-ups.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { median } from './lib/stats.mjs';

const TASKS = new URL('./workers/tasks.mjs', import.meta.url);
const CALLS = 2_000;
const SPAWN = { encoding: 'utf8', timeout: 120_000 };
const ROWS = ['floor-fork-json', 'forkpool-process', 'floor-worker-threads', 'forkpool-thread', 'piscina'];

async function child(row) {
  let pool;
  if (row === 'piscina') {
    const { Piscina } = await import('piscina');
    const p = new Piscina({ filename: TASKS.href, minThreads: 2, maxThreads: 2 });
    pool = { call: (name, i) => p.run(i, { name }), stop: () => p.destroy() };
  } else if (row.startsWith('floor')) {
    const { create } = await import('./adapters/raw.mjs');
    const raw = await create({ workers: 2, kind: row === 'floor-fork-json' ? 'process' : 'thread', serialization: 'json' });
    pool = { call: (name, i) => raw.run(name, i), stop: () => raw.destroy() };
  } else {
    const { Pool } = await import('forkpool');
    const p = new Pool(TASKS, { processes: 2, runtime: row === 'forkpool-thread' ? 'thread' : 'process', logs: 'silent' });
    pool = { call: (name, i) => p.apply(name, [i]), stop: () => p.terminate() };
  }
  await Promise.all(Array.from({ length: 200 }, (_, i) => pool.call('noop', i)));
  const total = [], out = [], back = [];
  for (let i = 0; i < CALLS; i++) {
    const start = Number(process.hrtime.bigint()) / 1e3;
    const entered = await pool.call('stamp', i);
    const end = Number(process.hrtime.bigint()) / 1e3;
    total.push(end - start);
    out.push(entered - start);
    back.push(end - entered);
  }
  await pool.stop();
  const half = CALLS / 2;
  const part = (xs) => [median(xs.slice(0, half)), median(xs.slice(half))];
  process.stdout.write(JSON.stringify({ total: part(total), out: part(out), back: part(back) }));
}

function main() {
  const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
  const runs = Number(arg('--runs', '6'));
  const flags = process.argv.filter((a) => a.startsWith('--node-flags=')).flatMap((a) => a.slice('--node-flags='.length).split(' ').filter(Boolean));
  const pin = process.argv.includes('--pin');
  const results = Object.fromEntries(ROWS.map((r) => [r, []]));
  for (let r = 0; r < runs; r++) {
    for (const row of ROWS) {
      const argv = [process.execPath, ...flags, fileURLToPath(import.meta.url), '--child', row];
      const res = pin ? spawnSync('taskset', ['-c', '0', ...argv], SPAWN) : spawnSync(argv[0], argv.slice(1), SPAWN);
      if (res.status !== 0) throw new Error(`${row} failed: ${res.stderr}`);
      results[row].push(JSON.parse(res.stdout));
    }
  }
  const cell = (rs, key, i) => median(rs.map((x) => x[key][i])).toFixed(1);
  console.log('| row | total µs, calls 0–999 / 1,000–1,999 | out | back |');
  console.log('| --- | --- | --- | --- |');
  for (const [row, rs] of Object.entries(results)) {
    console.log(`| ${row} | ${cell(rs, 'total', 0)} / ${cell(rs, 'total', 1)} | ${cell(rs, 'out', 0)} / ${cell(rs, 'out', 1)} | ${cell(rs, 'back', 0)} / ${cell(rs, 'back', 1)} |`);
  }
  console.log(`\nmedians over ${runs} fresh processes per row of the per-run medians; out: the call to the task's first line in the worker; back: from there to the awaited value${flags.length ? `; main process flags: ${flags.join(' ')}` : ''}${pin ? '; every row on CPU 0 (taskset)' : ''}; load average ${loadavg()[0].toFixed(2)}`);
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else main();
