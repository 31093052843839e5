// CPU time per task, forkpool against the raw floors, side by side in one run.
//
//   npm run build && node bench/cpu-per-task.mjs [--rounds 3]
//
// Wall-clock throughput on a shared 2-core machine mostly measures who else
// is running; CPU time per task does not. Each row: 20,000 no-op tasks
// submitted at once (as W1), 5 warm bursts per pool, and the median over
// --rounds fresh pools. "main" is the main process's CPU (for threads: the
// whole process, worker threads included); "workers" sums the worker
// processes' CPU from /proc (process rows only, Linux).
import { readFileSync, readdirSync } from 'node:fs';
import { Pool } from 'forkpool';
import { create as raw } from './adapters/raw.mjs';

const N = 20_000;
const BURSTS = 5;
const TASKS = new URL('./workers/tasks.mjs', import.meta.url);
const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 3;

function childPids() {
  try {
    return readdirSync(`/proc/${process.pid}/task`).flatMap((t) =>
      readFileSync(`/proc/${process.pid}/task/${t}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number));
  } catch {
    return [];
  }
}
/** utime + stime of a pid in ms (USER_HZ 100). */
function cpuMs(pid) {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(f[11]) + Number(f[12])) * 10;
  } catch {
    return 0;
  }
}
const workersCpu = () => childPids().reduce((sum, pid) => sum + cpuMs(pid), 0);

const ROWS = {
  'floor-fork-json': async () => {
    const p = await raw({ workers: 2, kind: 'process', serialization: 'json' });
    return { burst: (a) => p.runMany('noop', a), stop: () => p.destroy() };
  },
  'forkpool-process': async () => {
    const p = new Pool(TASKS, { processes: 2, runtime: 'process', logs: 'silent' });
    await p.ready();
    return { burst: (a) => Promise.all(a.map((x) => p.applyAsync('noop', [x]))), stop: () => p.terminate() };
  },
  'floor-worker-threads': async () => {
    const p = await raw({ workers: 2, kind: 'thread' });
    return { burst: (a) => p.runMany('noop', a), stop: () => p.destroy() };
  },
  'forkpool-thread': async () => {
    const p = new Pool(TASKS, { processes: 2, runtime: 'thread', logs: 'silent' });
    await p.ready();
    return { burst: (a) => Promise.all(a.map((x) => p.applyAsync('noop', [x]))), stop: () => p.terminate() };
  },
};

async function measure(make) {
  const pool = await make();
  const args = Array.from({ length: N }, (_, i) => i);
  await pool.burst(args);
  const w0 = workersCpu();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < BURSTS; i++) await pool.burst(args);
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const w = workersCpu() - w0;
  await pool.stop();
  return { main: (c.user + c.system) / (BURSTS * N), workers: (w * 1000) / (BURSTS * N), rate: (BURSTS * N) / (wall / 1000) };
}

const results = {};
for (let r = 0; r < rounds; r++) for (const [id, make] of Object.entries(ROWS)) (results[id] ??= []).push(await measure(make));
const med = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };
console.log('| row | main CPU µs/task | worker processes CPU µs/task | tasks/s (wall, noisy) |');
console.log('| --- | --- | --- | --- |');
for (const [id, rs] of Object.entries(results)) {
  const threads = id.includes('thread');
  console.log(`| ${id} | ${med(rs.map((x) => x.main)).toFixed(2)} | ${threads ? '– (in main)' : med(rs.map((x) => x.workers)).toFixed(2)} | ${Math.round(med(rs.map((x) => x.rate)))} |`);
}
console.log(`\nmedian of ${rounds} fresh pools × ${BURSTS} warm bursts of ${N} tasks; load average ${(await import('node:os')).loadavg()[0].toFixed(2)}`);
