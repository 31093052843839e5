// The two figures the core issue asks for: forkpool start-up (new Pool to
// `await pool.ready()`, 2 processes) and the throughput of 20,000 no-op
// `applyAsync` tasks submitted at once. Each run is a fresh process, so every
// start-up is cold; medians of --runs.
// Usage: node bench/startup.mjs [--runs 7] [--tasks 20000] [--runtime process|thread]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'forkpool';
import { TASKS, options, summary, fmt } from './lib/forkpool.mjs';

const ONCE = '--once';

async function once(runtime, tasks) {
  const t0 = performance.now();
  const pool = new Pool(TASKS, { processes: 2, runtime, logs: 'silent' });
  await pool.ready();
  const readyMs = performance.now() - t0;
  const t1 = performance.now();
  await Promise.all(Array.from({ length: tasks }, (_, i) => pool.applyAsync('noop', [i])));
  const tasksPerSec = tasks / ((performance.now() - t1) / 1000);
  await pool.terminate();
  return { readyMs, tasksPerSec };
}

if (process.argv[2] === ONCE) {
  console.log(JSON.stringify(await once(process.argv[3], Number(process.argv[4]))));
} else {
  const opts = options({ runs: 7, tasks: 20_000, runtime: 'process' });
  const self = fileURLToPath(import.meta.url);
  const results = [];
  for (let i = 0; i < opts.runs; i++) {
    const r = spawnSync(process.execPath, [self, ONCE, opts.runtime, String(opts.tasks)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`run ${i + 1} failed: ${r.stderr}`);
    results.push(JSON.parse(r.stdout.trim().split('\n').at(-1)));
  }
  const ready = summary(results.map((r) => r.readyMs));
  const tps = summary(results.map((r) => r.tasksPerSec / 1000));
  console.log(`forkpool ${opts.runtime} runtime, 2 workers, median (min–max) of ${opts.runs} fresh processes:`);
  console.log(`  start-up to ready():        ${fmt(ready)} ms`);
  console.log(`  ${opts.tasks} no-op applyAsync: ${fmt(tps)} k tasks/s`);
}
