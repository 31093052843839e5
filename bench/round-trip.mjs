// One task's round trip (W2), warm, side by side with the raw floors and piscina.
//
//   npm run build && node bench/round-trip.mjs [--rounds 5] [--warm 200]
//
// Each row: a fresh 2-worker pool, --warm warm-up calls, then 2,000 sequential
// awaited calls; the row's median and p99 are the medians over --rounds pools,
// run interleaved so a slow minute hits every row alike. All pools share this
// process, so its JIT is warmer than in the suite's W2 (a fresh process per
// pair): compare with `bench/run.mjs --only W2` for the cold figure.
import { Pool } from 'forkpool';
import { create as raw } from './adapters/raw.mjs';
import { create as piscina } from './adapters/piscina.mjs';

const N = 2_000;
const TASKS = new URL('./workers/tasks.mjs', import.meta.url);
const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? Number(process.argv[i + 1]) : dflt; };
const rounds = arg('--rounds', 5);
const warm = arg('--warm', 200);

const forkpool = (runtime) => async () => {
  const p = new Pool(TASKS, { processes: 2, runtime, logs: 'silent' });
  await p.ready();
  return { call: (i) => p.apply('noop', [i]), stop: () => p.terminate() };
};
const adapter = (make, opts) => async () => {
  const p = await make(opts);
  return { call: (i) => p.run('noop', i), stop: () => p.destroy() };
};
const ROWS = {
  'floor-fork-json': adapter(raw, { workers: 2, kind: 'process', serialization: 'json' }),
  'forkpool-process': forkpool('process'),
  'floor-worker-threads': adapter(raw, { workers: 2, kind: 'thread' }),
  piscina: adapter(piscina, { workers: 2 }),
  'forkpool-thread': forkpool('thread'),
};

async function measure(make) {
  const pool = await make();
  for (let i = 0; i < warm; i++) await pool.call(i);
  const us = [];
  for (let i = 0; i < N; i++) {
    const t0 = process.hrtime.bigint();
    await pool.call(i);
    us.push(Number(process.hrtime.bigint() - t0) / 1e3);
  }
  await pool.stop();
  us.sort((a, b) => a - b);
  return { median: us[N >> 1], p99: us[Math.floor(N * 0.99)] };
}

const results = {};
for (let r = 0; r < rounds; r++) for (const [id, make] of Object.entries(ROWS)) (results[id] ??= []).push(await measure(make));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log('| row | median µs | p99 µs |');
console.log('| --- | --- | --- |');
for (const [id, rs] of Object.entries(results)) console.log(`| ${id} | ${med(rs.map((x) => x.median)).toFixed(1)} | ${med(rs.map((x) => x.p99)).toFixed(0)} |`);
console.log(`\nmedians over ${rounds} fresh pools of ${N} calls each after ${warm} warm-up calls; load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
