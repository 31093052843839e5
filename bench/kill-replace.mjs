// Time from SIGKILL of a forkpool worker to its replacement being ready
// ('workerStart' is emitted once the new worker has loaded the task module),
// alternating between the two workers. After each replacement a task must
// still succeed.
// Usage: node bench/kill-replace.mjs [--rounds 10] [--runtime process]
import { once } from 'node:events';
import { Pool } from 'forkpool';
import { TASKS, options, summary, fmt } from './lib/forkpool.mjs';

const opts = options({ rounds: 10, runtime: 'process' });
const pool = new Pool(TASKS, { processes: 2, runtime: opts.runtime, logs: 'silent' });
await pool.ready();

// An idle pool unrefs its workers, so nothing would keep this script alive
// while a killed worker's exit is observed and its replacement starts
// (exit code 13). A ref'd timer does, without touching the timings.
const keepAlive = setInterval(() => {}, 1000);
const replaceMs = [];
const exitSeenMs = [];
for (let round = 0; round < opts.rounds; round++) {
  const victim = pool.stats().workers[round % 2];
  const started = once(pool, 'workerStart');
  const exited = once(pool, 'workerExit').then(() => performance.now());
  const t0 = performance.now();
  process.kill(victim.pid, 'SIGKILL');
  const [info] = await started;
  replaceMs.push(performance.now() - t0);
  exitSeenMs.push((await exited) - t0);
  if (info.pid === victim.pid) throw new Error('workerStart reported the killed pid');
  if ((await pool.apply('noop', [round])) !== round) throw new Error('pool gave a wrong result after a replacement');
}
clearInterval(keepAlive);
await pool.terminate();

console.log(`forkpool ${opts.runtime} runtime, 2 workers, ${opts.rounds} SIGKILLs, median (min–max):`);
console.log(`  SIGKILL -> 'workerExit':               ${fmt(summary(exitSeenMs))} ms`);
console.log(`  SIGKILL -> replacement 'workerStart':  ${fmt(summary(replaceMs))} ms`);
