// Shared-object throughput, forkpool against Python's multiprocessing, side by side in one run.
//
//   npm run build && node bench/shared.mjs [--runs 5] [--runtime process|thread|both]
//
// Prints the table, then issue 13's targets as ratios to Python from the same run.
//
// Workloads (same sizes in bench/python/shared_bench.py; median of --runs runs):
//   Queue put→get: one producer worker and one consumer worker, timed from a
//     Barrier until the consumer has every item. Small items are {i, s}; big items
//     are 100 KB byte arrays. The producer keeps up to 64 puts in flight, the
//     closest match to Python's put(), which returns before the item is sent.
//   Manager dict increments under a lock: 2 workers, lock → get → set → release.
//   Pipe round trip: the main process sends, a worker echoes; µs per round trip.
//
// This file is also the task module of its own pool: inside a worker it only
// exports the tasks below.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Pool } from 'forkpool';
import { isWorker } from 'forkpool/worker';
import { Manager, Queue, Pipe } from '../dist/shared/index.js';

const SMALL = 20_000;
const BIG = 2_000;
const BIG_BYTES = 100 * 1024;
const INCREMENTS = 5_000;
const ROUND_TRIPS = 5_000;
/** Puts in flight per producer (Python's put() is asynchronous too, through its feeder thread). */
const PUT_WINDOW = 64;

export function busy(ms) {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* spin */ }
}

export async function produce(q, barrier, n, size) {
  const big = size ? new Uint8Array(size).fill(120) : undefined;
  await barrier.wait();
  let window = [];
  for (let i = 0; i < n; i++) {
    window.push(q.put(big ?? { i, s: 'abc' }));
    if (window.length >= PUT_WINDOW) { await Promise.all(window); window = []; }
  }
  await Promise.all(window);
}

export async function consume(q, barrier, n) {
  await barrier.wait();
  for (let i = 0; i < n; i++) await q.get();
}

export async function increment(lock, dict, barrier, n) {
  await barrier.wait();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    await dict.set('count', ((await dict.get('count')) ?? 0) + 1);
    await lock.release();
  }
}

export async function echo(conn, n) {
  for (let i = 0; i < n; i++) await conn.send(await conn.recv());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** A 2-worker pool where each worker runs one task at a time (see test/shared/helpers.ts for why). */
async function spreadPool(runtime) {
  const pool = new Pool(new URL(import.meta.url), { processes: 2, runtime, logs: 'silent' });
  await pool.ready();
  await Promise.all([0, 1, 2, 3].map(() => pool.apply('busy', [10])));
  return pool;
}

async function queueRun(pool, manager, n, size) {
  const q = new Queue();
  const barrier = manager.barrier(3);
  const tasks = [pool.apply('produce', [q, barrier, n, size]), pool.apply('consume', [q, barrier, n])];
  await barrier.wait();
  const t0 = performance.now();
  await tasks[1];
  const s = (performance.now() - t0) / 1000;
  await tasks[0];
  await q.close();
  return n / s;
}

async function dictRun(pool, manager) {
  const lock = manager.lock();
  const dict = manager.dict();
  const barrier = manager.barrier(3);
  const tasks = [0, 1].map(() => pool.apply('increment', [lock, dict, barrier, INCREMENTS]));
  await barrier.wait();
  const t0 = performance.now();
  await Promise.all(tasks);
  const s = (performance.now() - t0) / 1000;
  if (await dict.get('count') !== 2 * INCREMENTS) throw new Error('lost increments');
  return (2 * INCREMENTS) / s;
}

async function pipeRun(pool) {
  const [mine, theirs] = Pipe();
  const task = pool.apply('echo', [theirs, ROUND_TRIPS]);
  await mine.send(0); // warm-up round trip
  await mine.recv();
  const t0 = performance.now();
  for (let i = 1; i < ROUND_TRIPS; i++) { await mine.send(i); await mine.recv(); }
  const us = ((performance.now() - t0) * 1000) / (ROUND_TRIPS - 1);
  await task;
  return us;
}

async function nodeBench(runtime, runs) {
  const pool = await spreadPool(runtime);
  const manager = new Manager();
  const out = { queue_small: [], queue_100k: [], dict_lock: [], pipe_rtt_us: [] };
  try {
    for (let r = 0; r < runs; r++) {
      out.queue_small.push(await queueRun(pool, manager, SMALL, 0));
      out.queue_100k.push(await queueRun(pool, manager, BIG, BIG_BYTES));
      out.dict_lock.push(await dictRun(pool, manager));
      out.pipe_rtt_us.push(await pipeRun(pool));
    }
  } finally {
    await manager.shutdown();
    await pool.terminate();
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, median(v)]));
}

function pythonBench(runs) {
  const script = fileURLToPath(new URL('./python/shared_bench.py', import.meta.url));
  const args = [script, '--runs', String(runs), '--small', String(SMALL), '--big', String(BIG), '--incr', String(INCREMENTS), '--rtt', String(ROUND_TRIPS)];
  try {
    return JSON.parse(execFileSync('python3', args, { encoding: 'utf8' }));
  } catch (err) {
    console.error(`python3 benchmark failed: ${err.message}`);
    return undefined;
  }
}

async function main() {
  const argv = process.argv.slice(2);
  const flag = (name, def) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : def; };
  const runs = Number(flag('runs', '5'));
  const which = flag('runtime', 'both');
  const runtimes = which === 'both' ? ['process', 'thread'] : [which];
  const columns = {};
  for (const rt of runtimes) columns[`forkpool ${rt}`] = await nodeBench(rt, runs);
  const py = pythonBench(runs);
  if (py) columns[`Python ${py.python} (${py.start_method})`] = py;

  const rows = [
    ['Queue put→get, small items (items/s)', 'queue_small', 0],
    ['Queue put→get, 100 KB items (items/s)', 'queue_100k', 0],
    ['Manager dict += 1 under a lock, 2 workers (incr/s)', 'dict_lock', 0],
    ['Pipe round trip main↔worker (µs, lower is better)', 'pipe_rtt_us', 1],
  ];
  const names = Object.keys(columns);
  console.log(`Node ${process.version}, median of ${runs} runs`);
  console.log(`| workload | ${names.join(' | ')} |`);
  console.log(`|---|${names.map(() => '---:').join('|')}|`);
  for (const [label, key, digits] of rows) {
    const cells = names.map((n) => columns[n][key].toLocaleString('en-US', { maximumFractionDigits: digits }));
    console.log(`| ${label} | ${cells.join(' | ')} |`);
  }
  if (py) printTargets(columns, py, runtimes);
}

/** Issue 13's shared-object targets, as ratios to Python measured in this same run. */
function printTargets(columns, py, runtimes) {
  const targets = [
    ['Queue small items ≥ Python', 'queue_small', (v) => v / py.queue_small, (r) => r >= 1],
    ['Queue 100 KB items ≥ Python', 'queue_100k', (v) => v / py.queue_100k, (r) => r >= 1],
    ['Pipe round trip ≤ 2× Python', 'pipe_rtt_us', (v) => v / py.pipe_rtt_us, (r) => r <= 2],
  ];
  console.log('\n| target | runtime | value | × Python | met |');
  console.log('|---|---|---:|---:|:---:|');
  for (const [label, key, ratio, met] of targets) {
    for (const rt of runtimes) {
      const v = columns[`forkpool ${rt}`][key];
      const r = ratio(v);
      console.log(`| ${label} | ${rt} | ${v.toLocaleString('en-US', { maximumFractionDigits: 1 })} | ${r.toFixed(2)} | ${met(r) ? 'yes' : 'no'} |`);
    }
  }
}

if (!isWorker()) await main();
