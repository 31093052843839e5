// Two memory figures from issue 5:
//  1. forkpool's RSS per worker process against a bare `node -e` child
//     (target: at most 1.1x);
//  2. the main process's RSS across a 10-million-item `imap` (target: flat),
//     sampled every second; reports start, peak and end.
// Usage: node bench/memory.mjs [--items 10000000] [--chunksize 1000] [--settleMs 500]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'forkpool';
import { TASKS, options, rssMB, summary, fmt } from './lib/forkpool.mjs';

// imap's own default chunksize is 1 (as in Python); 10M single-item messages
// would measure IPC for minutes, not memory, so the script passes one.
const opts = options({ items: 10_000_000, chunksize: 1000, settleMs: 500 });
const MB = 1024 * 1024;

async function bareChildRss() {
  // Kept alive by a timer, like an idle worker waiting for work.
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  await sleep(opts.settleMs);
  const mb = rssMB(child.pid);
  child.kill();
  await once(child, 'exit');
  return mb;
}

async function workerRss() {
  const pool = new Pool(TASKS, { processes: 2, runtime: 'process', logs: 'silent' });
  await pool.ready();
  await Promise.all(Array.from({ length: 200 }, (_, i) => pool.applyAsync('noop', [i])));
  await sleep(opts.settleMs);
  const mbs = pool.stats().workers.map((w) => rssMB(w.pid));
  await pool.terminate();
  return mbs;
}

function* numbers(n) {
  for (let i = 0; i < n; i++) yield i;
}

async function imapRss() {
  const pool = new Pool(TASKS, { processes: 2, runtime: 'process', logs: 'silent' });
  await pool.ready();
  const samples = [process.memoryUsage().rss / MB];
  const sampler = setInterval(() => samples.push(process.memoryUsage().rss / MB), 1000);
  const t0 = performance.now();
  let count = 0;
  let sum = 0;
  for await (const v of pool.imap('double', numbers(opts.items), { chunksize: opts.chunksize })) {
    count++;
    sum += v;
  }
  const seconds = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  samples.push(process.memoryUsage().rss / MB);
  await pool.terminate();
  if (count !== opts.items || sum !== opts.items * (opts.items - 1)) throw new Error(`imap returned ${count} items summing to ${sum}`);
  return { samples, seconds };
}

const bare = [];
for (let i = 0; i < 3; i++) bare.push(await bareChildRss());
const workers = [...(await workerRss()), ...(await workerRss())];
const bareMB = summary(bare);
const workerMB = summary(workers);
console.log(`bare \`node -e\` child RSS: ${fmt(bareMB)} MB (3 children)`);
console.log(`forkpool worker RSS:      ${fmt(workerMB)} MB (2 pools × 2 workers); ratio ${(workerMB.median / bareMB.median).toFixed(2)}×`);

const { samples, seconds } = await imapRss();
const [start, end, peak] = [samples[0], samples.at(-1), Math.max(...samples)];
console.log(`main RSS across imap of ${opts.items.toLocaleString('en')} items (chunksize ${opts.chunksize}, ${seconds.toFixed(1)} s, ${(opts.items / seconds / 1e6).toFixed(2)}M items/s):`);
console.log(`  start ${start.toFixed(1)} MB, peak ${peak.toFixed(1)} MB, end ${end.toFixed(1)} MB (${samples.length} samples, 1/s)`);
console.log(`  samples: ${samples.map((s) => s.toFixed(0)).join(' ')}`);
