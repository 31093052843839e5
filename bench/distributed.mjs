#!/usr/bin/env node
/**
 * Distributed pool throughput and latency on loopback: its own redis-server
 * (appendonly yes, free port, temp dir), 2 `forkpool worker -j 1` nodes, one
 * client. Needs `npm run build` and redis-server.
 *
 *   node bench/distributed.mjs [--items 1000000] [--runs 3] [--applies 500]
 *   node bench/distributed.mjs --recovery 5
 *
 * Prints, per run, `map` of x => x * 2 (items/s, adaptive chunks) and the median,
 * one run with chunksize 100 (one job per 100 items); then one
 * small warm `apply` at a time: p50 and p99.
 *
 * `--recovery N`: N trials, default lock settings: a node running a long task
 * is SIGKILLed; prints the time until the task starts on the other node,
 * then the median and the max.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from '../dist/index.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? Number(args[i + 1]) : dflt; };
const ITEMS = opt('--items', 1_000_000);
const RUNS = opt('--runs', 3);
const APPLIES = opt('--applies', 500);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const TASKS = fileURLToPath(new URL('../test/cluster/fixtures/tasks.mjs', import.meta.url));

if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('bench/distributed: redis-server is not installed (apt-get install redis-server); skipped');
  process.exit(0);
}

const port = await new Promise((resolve) => { const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
const dir = mkdtempSync(join(tmpdir(), 'forkpool-bench-redis-'));
const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction', '--loglevel', 'warning'], { stdio: 'ignore' });
for (;;) {
  const ok = await new Promise((r) => { const s = connect(port, '127.0.0.1'); s.once('connect', () => { s.destroy(); r(true); }); s.once('error', () => r(false)); });
  if (ok) break;
  await new Promise((r) => setTimeout(r, 20));
}
const url = `redis://127.0.0.1:${port}`;
const RECOVERY = opt('--recovery', 0);
if (RECOVERY > 0) {
  try {
    await recovery(RECOVERY);
  } finally {
    redis.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
const nodes = [0, 1].map(() => spawn(process.execPath, [CLI, 'worker', TASKS, '--redis', url, '--queue', 'bench', '-j', '1', '-q'], { stdio: 'inherit' }));

const pool = new Pool(TASKS, { backend: { redis: url, queue: 'bench' } });
try {
  await pool.ready();
  await pool.map('double', Array.from({ length: 10_000 }, (_, i) => i)); // warm up
  const items = Array.from({ length: ITEMS }, (_, i) => i);
  const rates = [];
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const out = await pool.map('double', items);
    const s = (performance.now() - t) / 1000;
    if (out[ITEMS - 1] !== (ITEMS - 1) * 2) throw new Error('wrong result');
    rates.push(ITEMS / s);
    console.log(`map x*2 over ${ITEMS} items, run ${r + 1}: ${s.toFixed(2)} s, ${Math.round(ITEMS / s)} items/s`);
  }
  rates.sort((a, b) => a - b);
  console.log(`map median: ${Math.round(rates[Math.floor(rates.length / 2)])} items/s (2 nodes × 1 process, loopback Redis, appendonly yes)`);

  {
    // Fixed 100 items per task (= per job), the raw-BullMQ comparison point.
    const t = performance.now();
    await pool.map('double', items, { chunksize: 100 });
    const sec = (performance.now() - t) / 1000;
    console.log(`map x*2 over ${ITEMS} items, chunksize 100 (one job per 100 items): ${sec.toFixed(2)} s, ${Math.round(ITEMS / sec)} items/s`);
  }
  for (let i = 0; i < 20; i++) await pool.apply('double', [i]);
  const lat = [];
  for (let i = 0; i < APPLIES; i++) {
    const t = performance.now();
    await pool.apply('double', [i]);
    lat.push(performance.now() - t);
  }
  lat.sort((a, b) => a - b);
  const at = (q) => lat[Math.min(lat.length - 1, Math.floor(q * lat.length))];
  console.log(`apply (warm, one at a time, ${APPLIES} calls): p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms`);
  console.log(`duplicates: ${pool.stats().duplicates}`);
} finally {
  pool.close();
  await pool.join();
  for (const n of nodes) n.kill('SIGTERM');
  await Promise.all(nodes.map((n) => new Promise((r) => n.once('exit', r))));
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
}

/** Starts a node with the default lock settings; resolves once it takes jobs. */
function startNode(queue) {
  const child = spawn(process.execPath, [CLI, 'worker', TASKS, '--redis', url, '--queue', queue, '-j', '1'], { stdio: ['ignore', 'ignore', 'pipe'] });
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr.on('data', (d) => { err += d; if (err.includes(' slots on queue ')) resolve(child); });
    child.once('exit', (code) => reject(new Error(`node exited ${code}: ${err}`)));
  });
}

async function recovery(trials) {
  const times = [];
  for (let i = 0; i < trials; i++) {
    const queue = `recovery${i}`;
    const nodes = await Promise.all([startNode(queue), startNode(queue)]);
    const pool = new Pool(TASKS, { backend: { redis: url, queue } });
    try {
      await pool.ready();
      const marker = join(dir, `marker${i}`);
      const result = pool.apply('long', [20_000, marker]);
      result.catch(() => {});
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 10));
      const victim = nodes.find((n) => n.pid === Number(readFileSync(marker, 'utf8')));
      rmSync(marker);
      const t = performance.now();
      victim.kill('SIGKILL');
      while (!existsSync(marker)) await new Promise((r) => setTimeout(r, 10));
      const ms = performance.now() - t;
      times.push(ms);
      console.log(`recovery trial ${i + 1}: the task started on the other node ${(ms / 1000).toFixed(2)} s after the SIGKILL`);
    } finally {
      await pool.terminate();
      for (const n of nodes) n.kill('SIGKILL');
    }
  }
  times.sort((a, b) => a - b);
  console.log(`recovery (lockDuration 5 s, stalledInterval 2 s, sweep 1 s): median ${(times[Math.floor(times.length / 2)] / 1000).toFixed(2)} s, max ${(times.at(-1) / 1000).toFixed(2)} s over ${trials} trials`);
}
