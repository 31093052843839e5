// Pipe round trips between the main process and one worker: latency and the
// CPU each side spends per round trip (Linux: read from /proc).
//
//   npm run build && node bench/pipe-rtt.mjs [--runtime process|thread] [--trips 3000]
//
// One fresh 2-worker pool, 200 warm-up round trips, then --trips timed ones.
// Prints the mean (what bench/shared.mjs reports), median and p99 in µs, and
// CPU µs per round trip of the main thread, the main process's other
// threads (V8's compiler and GC helpers) and the worker processes. For a
// before/after, run it alternately against two builds in fresh processes.
import { readFileSync, readdirSync } from 'node:fs';
import { Pool } from 'forkpool';
import { Pipe } from '../dist/shared/index.js';

const arg = (name, dflt) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : dflt; };
const runtime = arg('--runtime', 'process');
const trips = Number(arg('--trips', 3000));

/** CPU ticks (1/100 s) of this process's main thread and of its other threads. */
function threadTicks() {
  let main = 0, other = 0;
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(f[11]) + Number(f[12]);
    if (Number(tid) === process.pid) main += ticks; else other += ticks;
  }
  return { main, other };
}
function childTicks() {
  let t = 0;
  for (const pid of readFileSync(`/proc/self/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      t += Number(f[11]) + Number(f[12]);
    } catch { /* exited */ }
  }
  return t;
}

const pool = new Pool(new URL('./shared.mjs', import.meta.url), { processes: 2, runtime, logs: 'silent' });
await pool.ready();
const [mine, theirs] = Pipe();
const echo = pool.apply('echo', [theirs, trips + 200]);
for (let i = 0; i < 200; i++) { await mine.send(i); await mine.recv(); }
const linux = process.platform === 'linux';
const t0 = linux ? threadTicks() : undefined, c0 = linux ? childTicks() : 0;
const us = [];
const start = performance.now();
for (let i = 0; i < trips; i++) {
  const a = performance.now();
  await mine.send(i);
  await mine.recv();
  us.push((performance.now() - a) * 1000);
}
const mean = ((performance.now() - start) * 1000) / trips;
await echo;
us.sort((a, b) => a - b);
console.log(`${runtime}: mean ${mean.toFixed(1)} µs, median ${us[trips >> 1].toFixed(1)}, p99 ${us[Math.floor(trips * 0.99)].toFixed(1)}`);
if (t0) {
  const t1 = threadTicks();
  const per = (ticks) => ((ticks * 10_000) / trips).toFixed(1);
  console.log(`CPU µs per round trip: main thread ${per(t1.main - t0.main)}, other threads ${per(t1.other - t0.other)}, workers ${per(childTicks() - c0)}`);
}
await pool.terminate();
